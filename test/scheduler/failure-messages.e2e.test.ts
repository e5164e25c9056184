import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { GenerationRepository } from '#shared/db/repositories/generation-repository.ts';
import { asDb } from '#shared/db/pool.ts';
import { sendJob } from '#shared/queue/send.ts';
import { startComfySim, type ComfySim } from '#sim/comfyui/index.ts';
import { startDiscordSim, type DiscordSim } from '#sim/discord/index.ts';
import { captureLogs } from '../support/log-capture.ts';
import { newGeneration, startSchedulerHarness, type SchedulerHarness } from '../support/scheduler-harness.ts';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.ts';

// Each way a request can fail on the GPU side, driven through the real scheduler against sim/comfyui:
// the member reads what to change; the technical detail stays in the row and the log.

let tdb: TestDatabase;
let discord: DiscordSim;
let comfy: ComfySim;
let h: SchedulerHarness;
const logs = captureLogs('info');

beforeAll(async () => {
  tdb = await createTestDatabase();
  discord = await startDiscordSim();
  comfy = await startComfySim({ models: { checkpoints: ['base.safetensors'], loras: ['detail.safetensors'] }, secondsPerStep: 0.005 });
  h = await startSchedulerHarness({ tdb, discord, comfyUrls: [comfy.url], env: { GENERATION_TIMEOUT_SECONDS: '2' }, logger: logs.logger });
});
afterAll(async () => {
  await h?.stop();
  await Promise.all([comfy?.close(), discord?.close()]);
  await tdb?.drop();
});

/** Words a member should never have to read: node ids, class names, exceptions, servers' internals. */
const technical = /node \d|\(node|KSampler|CheckpointLoader|Exception|Error:|OutOfMemoryError|torch|ComfyUI|folder checkpoints|https?:\/\//;

interface Case {
  category: string;
  /** Makes the request fail; returns its generation id. */
  fail(): Promise<string>;
  /** The row's error code (a model missing may be caught before or after submitting). */
  code: RegExp;
  /** What the member reads: what happened and what to change. */
  says: RegExp;
  /** Technical detail kept in the row's error message. */
  row: RegExp;
}

const cases: Case[] = [
  {
    category: 'missing model',
    fail: async () => (await h.enqueue({ checkpoint: 'nowhere.safetensors' })).generation.id,
    code: /^(model_missing|comfy_validation)$/, says: /nowhere\.safetensors is not installed.*Pick another model/, row: /nowhere\.safetensors/,
  },
  {
    category: 'out of memory',
    fail: async () => {
      comfy.oomNext(1);
      return (await h.enqueue({ checkpoint: 'base.safetensors' })).generation.id;
    },
    code: /^out_of_memory$/, says: /ran out of GPU memory\. Try a smaller size, a smaller batch or fewer LoRAs/, row: /ran out of GPU memory in .*node \d/,
  },
  {
    category: 'timeout',
    fail: async () => {
      comfy.setSecondsPerStep(0.5);
      return (await h.enqueue({ checkpoint: 'base.safetensors', steps: 20 })).generation.id;
    },
    code: /^timeout$/, says: /took too long.*Try fewer steps, a smaller size or a smaller batch/, row: /too long/,
  },
  {
    category: 'invalid option (refused by the image server)',
    fail: async () => (await h.enqueue({ checkpoint: 'base.safetensors', sampler: 'no_such_sampler' })).generation.id,
    code: /^comfy_validation$/, says: /did not accept `sampler` = 'no_such_sampler'.*Change `sampler`/, row: /KSampler.*sampler_name/,
  },
  {
    category: 'no instance up (retries used up)',
    fail: async () => {
      // What pg-boss does once every attempt found no server to run it: the dead-letter job. The row
      // has no job of its own, so no generate job of an earlier case may be left idling as the placer
      // (it would claim the row and run it).
      await expect.poll(async () => (await tdb.pool.query(`select count(*)::int as n from pgboss.job where name = 'generate' and state = 'active'`)).rows[0].n, { timeout: 10_000 }).toBe(0);
      const g = await new GenerationRepository(asDb(tdb.pool)).create(newGeneration(discord, { checkpoint: 'base.safetensors' }));
      await sendJob(h.scheduler.boss, 'generate-dead', { generationId: g.id });
      return g.id;
    },
    code: /^retries_exhausted$/, says: /No image server could take this request.*Try again in a few minutes/, row: /could not finish/,
  },
];

describe('failures a member understands', () => {
  test.each(cases)('$category: the message says what to change; the detail stays in the row and the log', async ({ fail, code, says, row }) => {
    const id = await fail();
    const failed = await h.waitFor(id, ['failed'], { delivered: true, timeoutMs: 15_000 });
    comfy.setSecondsPerStep(0.005);
    expect(failed.errorCode).toMatch(code);
    expect(failed.errorMessage).toMatch(row);
    const message = discord.messages(failed.channelId).find((m) => JSON.stringify(m.embeds).includes(failed.id));
    const description = (message?.embeds[0] as { description?: string } | undefined)?.description ?? '';
    const reason = description.split('\n\nPrompt:')[0]!;
    expect(reason).toMatch(says);
    expect(reason).not.toMatch(technical);
    expect(logs.lines.some((l) => l.includes(failed.id) && l.includes(JSON.stringify(failed.errorMessage).slice(1, -1)))).toBe(true);
    expect(discord.violations).toEqual([]);
  });
});
