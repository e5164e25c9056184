import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { randomUUID } from 'node:crypto';
import { sendJob } from '#shared/queue/send.ts';
import { startComfySim, type ComfySim } from '#sim/comfyui/index.ts';
import { startDiscordSim, type DiscordSim } from '#sim/discord/index.ts';
import { newGeneration as newGenerationFor, startSchedulerHarness, type SchedulerHarness } from '../support/scheduler-harness.ts';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.ts';

let tdb: TestDatabase;
let discord: DiscordSim;
let comfy: ComfySim;
let h: SchedulerHarness;
// The next generation to reach mid-download (while `holdNext`) is held there until the test lets it go.
let holdNext = false;
let heldId: string | undefined;
let holding!: () => void;
const held = new Promise<void>((resolve) => (holding = resolve));
let release!: () => void;
const released = new Promise<void>((resolve) => (release = resolve));

beforeAll(async () => {
  tdb = await createTestDatabase();
  discord = await startDiscordSim();
  comfy = await startComfySim({ models: { checkpoints: ['base.safetensors'] }, secondsPerStep: 0.05 });
  h = await startSchedulerHarness({
    tdb, discord, comfyUrls: [comfy.url],
    __test__: {
      checkpoint: async (name, id) => {
        if (name !== 'mid-download' || !holdNext) return;
        holdNext = false;
        heldId = id;
        holding();
        await released;
      },
    },
  });
  await tdb.pool.query('update comfy_instance set max_queue_depth = 1');
});
afterAll(async () => {
  release();
  await h.stop();
  await Promise.all([comfy.close(), discord.close()]);
  await tdb.drop();
});

const started = (promptId: string | null) => comfy.executions.some((e) => e.promptId === promptId);
const pending = async () => ((await (await fetch(`${comfy.url}/queue`)).json()) as { queue_pending: unknown[] }).queue_pending.length;

describe('a prompt ComfyUI reported finished gives up its slot while its outputs are stored', () => {
  test('depth 1: the next prompt runs while the last one is still being stored, never two at once; each delivered once', { timeout: 60_000 }, async () => {
    holdNext = true;
    const a = (await h.enqueue({ steps: 2 })).generation;
    await held;
    expect(heldId).toBe(a.id);
    const b = (await h.enqueue({ steps: 20 })).generation;
    const c = (await h.enqueue({ steps: 2 })).generation;

    // B is placed and runs on the instance while A's outputs are still held mid-download.
    const deadline = Date.now() + 15_000;
    let bRow = await h.repo.get(b.id);
    while (!started(bRow.comfyPromptId)) {
      if (Date.now() > deadline) throw new Error(`B never started while A was being stored (B is ${bRow.status})`);
      await delay(20);
      bRow = await h.repo.get(b.id);
    }
    expect((await h.repo.get(a.id)).status).toBe('running');
    // B holds the one slot: C is not submitted beside it.
    await delay(300);
    expect((await h.repo.get(c.id)).status).toBe('queued');
    expect(await pending()).toBe(0);

    release();
    const done = await Promise.all([a, b, c].map((g) => h.waitFor(g.id, ['succeeded'], { delivered: true, timeoutMs: 30_000 })));
    for (const g of done) {
      expect(comfy.executions.filter((e) => e.promptId === g.comfyPromptId)).toHaveLength(1);
      expect(discord.messages(g.channelId).filter((m) => JSON.stringify(m.embeds).includes(g.id))).toHaveLength(1);
    }
    // One at a time on the GPU: each run started after the one before it finished.
    const runs = [...comfy.executions].sort((x, y) => x.startedAt - y.startedAt);
    for (let i = 1; i < runs.length; i++) expect(runs[i]!.startedAt).toBeGreaterThanOrEqual(runs[i - 1]!.finishedAt!);
  });

  test('resumed after its prompt finished and its slot was given up, but ComfyUI lost it: placed again under a new prompt id, not resubmitted beside whatever took the slot', { timeout: 60_000 }, async () => {
    const instanceId = (await tdb.pool.query<{ id: number }>('select id from comfy_instance')).rows[0]!.id;
    const g = await h.repo.create(newGenerationFor(discord));
    const lost = randomUUID();
    // Left by a dead scheduler after ComfyUI reported the prompt finished; ComfyUI then restarted (it knows nothing of it).
    await tdb.pool.query(
      `update generation set status = 'running', comfy_instance_id = $2, comfy_prompt_id = $3, finished_prompt_id = $3, generate_job_id = $4, started_at = now() where id = $1`,
      [g.id, instanceId, lost, randomUUID()],
    );
    await sendJob(h.scheduler.boss, 'generate', { generationId: g.id });
    const done = await h.waitFor(g.id, ['succeeded'], { delivered: true, timeoutMs: 30_000 });
    expect(done.comfyPromptId).not.toBe(lost);
    expect(comfy.executions.filter((e) => e.promptId === done.comfyPromptId)).toHaveLength(1);
    expect(comfy.executions.some((e) => e.promptId === lost)).toBe(false);
    const abandoned = await tdb.pool.query('select 1 from abandoned_prompt where prompt_id = $1 and generation_id = $2', [lost, g.id]);
    expect(abandoned.rowCount).toBe(1);
  });
});
