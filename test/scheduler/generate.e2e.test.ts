import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { requestCancel } from '#shared/generation/cancel.ts';
import { randomUUID } from 'node:crypto';
import { buildTxt2Img } from '#shared/comfyui/workflow/index.ts';
import { requeue } from '#scheduler/generation/instance-state.ts';
import { discoverModelsJob } from '#scheduler/jobs/discover-models.ts';
import { instanceHealthJob } from '#scheduler/jobs/instance-health.ts';
import { startComfySim, type ComfySim } from '#sim/comfyui/index.ts';
import { startDiscordSim, type DiscordSim } from '#sim/discord/index.ts';
import { jobHelpers } from '../support/scheduler-context.ts';
import { newGeneration, startSchedulerHarness, type SchedulerHarness } from '../support/scheduler-harness.ts';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.ts';

let tdb: TestDatabase;
let discord: DiscordSim;
let comfyA: ComfySim;
let comfyB: ComfySim;
let h: SchedulerHarness;
let idOf: (sim: ComfySim) => Promise<number>;

beforeAll(async () => {
  tdb = await createTestDatabase();
  discord = await startDiscordSim();
  comfyA = await startComfySim({ models: { checkpoints: ['base.safetensors', 'a-only.safetensors'], loras: ['detail.safetensors'] }, secondsPerStep: 0.005 });
  comfyB = await startComfySim({ models: { checkpoints: ['base.safetensors', 'b-only.safetensors'], loras: [] }, secondsPerStep: 0.005 });
  h = await startSchedulerHarness({ tdb, discord, comfyUrls: [comfyA.url, comfyB.url] });
  await discoverModelsJob.handle(h.scheduler.context, {}, jobHelpers());
  idOf = async (sim) => (await tdb.pool.query<{ id: number }>('select id from comfy_instance where base_url = $1', [sim.url])).rows[0]!.id;
});
afterAll(async () => {
  await h.stop();
  await Promise.all([comfyA.close(), comfyB.close(), discord.close()]);
  await tdb.drop();
});
beforeEach(() => {
  comfyA.resume();
  comfyB.resume();
  comfyA.setSecondsPerStep(0.005);
  comfyB.setSecondsPerStep(0.005);
});

const txt2img = {
  loras: [], prompt: 'abandoned', negativePrompt: '', width: 64, height: 64, batchSize: 1, seed: '1', steps: 4, cfg: 7,
  sampler: 'euler', scheduler: 'normal', denoise: 1,
};
const ranOn = (sim: ComfySim, promptId: string | null) => sim.executions.filter((e) => e.promptId === promptId);
/** The prompt ids waiting in a ComfyUI's queue (each entry is [number, prompt_id, prompt, extra, outputs]). */
const pendingIdsIn = async (sim: ComfySim) => ((await (await fetch(`${sim.url}/queue`)).json()) as { queue_pending: [number, string, ...unknown[]][] }).queue_pending.map((p) => p[1]);
const pendingIn = async (sim: ComfySim) => (await pendingIdsIn(sim)).length;

describe('generate (scheduler + sim/comfyui + sim/discord)', () => {
  test('happy path: stored by user and date with sha256 and size, thumbnails made, delivered once', async () => {
    const { generation } = await h.enqueue({ batchSize: 2, width: 96, height: 64 });
    const done = await h.waitFor(generation.id, ['succeeded'], { delivered: true });
    expect(done.outputs).toHaveLength(2);
    for (const output of done.outputs) {
      expect(output).toMatchObject({ status: 'stored', width: 96, height: 64 });
      expect(output.path).toMatch(new RegExp(`^${done.userId}/\\d{4}/\\d{2}/\\d{2}/${done.id}/${output.index}\\.png$`));
      const bytes = await readFile(path.join(h.storageDir, output.path!));
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(output.sha256);
    }
    const runs = [...ranOn(comfyA, done.comfyPromptId), ...ranOn(comfyB, done.comfyPromptId)];
    expect(runs).toHaveLength(1);
    const delivered = discord.messages(done.channelId).filter((m) => JSON.stringify(m.embeds).includes(done.id));
    expect(delivered).toHaveLength(1);
    // One image shown large, the batch linked (`1 / 2`) and paged with ◀ ▶.
    expect(delivered[0]!.attachments).toHaveLength(1);
    expect(delivered[0]!.content).toMatch(/^\*\*1 \/ 2\*\*/);
    await expect.poll(async () => (await h.repo.get(done.id)).outputs.every((o) => o.thumbnails?.length === 4), { timeout: 10_000 }).toBe(true);
    expect(discord.violations).toEqual([]);
  });

  test('two instances with different models: each job goes where its checkpoint is', async () => {
    const a = await h.enqueue({ checkpoint: 'a-only.safetensors', loras: [{ name: 'detail.safetensors', strengthModel: 0.8, strengthClip: 0.8 }] });
    const b = await h.enqueue({ checkpoint: 'b-only.safetensors' });
    const doneA = await h.waitFor(a.generation.id, ['succeeded']);
    const doneB = await h.waitFor(b.generation.id, ['succeeded']);
    expect(doneA.comfyInstanceId).toBe(await idOf(comfyA));
    expect(doneB.comfyInstanceId).toBe(await idOf(comfyB));
    expect(ranOn(comfyA, doneA.comfyPromptId)).toHaveLength(1);
    expect(ranOn(comfyB, doneB.comfyPromptId)).toHaveLength(1);
  });

  test('a checkpoint no instance has fails with a reason that says what to do', async () => {
    const { generation } = await h.enqueue({ checkpoint: 'nowhere.safetensors' });
    const failed = await h.waitFor(generation.id, ['failed'], { delivered: true });
    expect(failed.errorMessage).toMatch(/nowhere\.safetensors/);
  });

  test('cancel while waiting in ComfyUI removes it from the queue', async () => {
    comfyA.pause();
    const { generation } = await h.enqueue({ checkpoint: 'a-only.safetensors' });
    await expect.poll(() => pendingIn(comfyA), { timeout: 5000 }).toBeGreaterThan(0);
    await requestCancel(tdb.pool, h.scheduler.boss, generation.id);
    const cancelled = await h.waitFor(generation.id, ['cancelled'], { delivered: true });
    comfyA.resume();
    expect(ranOn(comfyA, cancelled.comfyPromptId)).toHaveLength(0);
  });

  test('cancel while running interrupts only that prompt', async () => {
    comfyA.setSecondsPerStep(0.2);
    const { generation } = await h.enqueue({ checkpoint: 'a-only.safetensors', steps: 30 });
    await expect.poll(async () => (await h.repo.get(generation.id)).comfyPromptId, { timeout: 5000 }).toBeTruthy();
    const promptId = (await h.repo.get(generation.id)).comfyPromptId!;
    await comfyA.waitFor('execution_start', promptId, 5000);
    await requestCancel(tdb.pool, h.scheduler.boss, generation.id);
    await h.waitFor(generation.id, ['cancelled'], { delivered: true });
    expect(ranOn(comfyA, promptId).map((e) => e.status)).toEqual(['interrupted']);
  });

  test('a cancel reaches ComfyUI when it is asked for, not at the running prompt\'s next check', async () => {
    // Two 4 s steps: the first progress (and so the first check) comes at 4 s, when the second step has
    // begun; only a cancel passed on at once stops the prompt at the end of the first step.
    comfyA.setSecondsPerStep(4);
    const { generation } = await h.enqueue({ checkpoint: 'a-only.safetensors', steps: 2 });
    await expect.poll(async () => (await h.repo.get(generation.id)).comfyPromptId, { timeout: 5000 }).toBeTruthy();
    const promptId = (await h.repo.get(generation.id)).comfyPromptId!;
    await comfyA.waitFor('execution_start', promptId, 5000);
    await new Promise((r) => setTimeout(r, 500));
    await requestCancel(tdb.pool, h.scheduler.boss, generation.id);
    await h.waitFor(generation.id, ['cancelled'], { delivered: true, timeoutMs: 20_000 });
    const [run] = ranOn(comfyA, promptId);
    expect(run?.status).toBe('interrupted');
    expect(run!.finishedAt! - run!.startedAt).toBeLessThan(6000);
  });

  test("a dead scheduler's leftovers (running rows whose job is no longer active) do not hold the instance's slots", async () => {
    const a = await idOf(comfyA);
    const stale = [];
    for (let i = 0; i < 2; i++) {
      const g = await h.repo.create(newGeneration(discord, { checkpoint: 'a-only.safetensors', userId: '100000000000000555' }));
      await tdb.pool.query(`update generation set status = 'running', comfy_instance_id = $2, comfy_prompt_id = gen_random_uuid(), generate_job_id = gen_random_uuid() where id = $1`, [g.id, a]);
      stale.push(g.id);
    }
    try {
      const { generation } = await h.enqueue({ checkpoint: 'a-only.safetensors' });
      const done = await h.waitFor(generation.id, ['succeeded'], { timeoutMs: 10_000 });
      expect(done.comfyInstanceId).toBe(a);
    } finally {
      await tdb.pool.query(`update generation set status = 'failed' where id = any($1::uuid[])`, [stale]);
    }
  });

  test('a prompt abandoned on an unreachable instance is removed from its queue before the instance takes new work', async () => {
    // The generation below has no job of its own: no generate job of an earlier test may be left
    // idling as the placer (it would claim it the moment the instance is up again).
    await expect.poll(async () => (await tdb.pool.query(`select count(*)::int as n from pgboss.job where name = 'generate' and state = 'active'`)).rows[0].n, { timeout: 10_000 }).toBe(0);
    comfyA.pause();
    const a = await idOf(comfyA);
    const g = await h.repo.create(newGeneration(discord, { checkpoint: 'a-only.safetensors' }));
    const promptId = randomUUID();
    const client = h.scheduler.context.instances.client(comfyA.url);
    await client.submit(buildTxt2Img({ ...txt2img, checkpoint: 'a-only.safetensors', filenamePrefix: `abandoned/${g.id}` }), { promptId });
    await tdb.pool.query(`update generation set status = 'running', comfy_instance_id = $2, comfy_prompt_id = $3 where id = $1`, [g.id, a, promptId]);

    await requeue(h.scheduler.context, await h.repo.get(g.id));
    expect((await h.repo.get(g.id)).status).toBe('queued');
    expect((await tdb.pool.query('select prompt_id from abandoned_prompt where instance_id = $1', [a])).rows).toEqual([{ prompt_id: promptId }]);

    expect(await pendingIdsIn(comfyA)).toContain(promptId);
    await instanceHealthJob.handle(h.scheduler.context, {}, jobHelpers());
    expect((await tdb.pool.query('select * from abandoned_prompt')).rows).toEqual([]);
    // The requeued request itself may be placed on A again once it is clean (a new prompt): only the abandoned one must be gone.
    expect(await pendingIdsIn(comfyA)).not.toContain(promptId);
    comfyA.resume();
    expect(ranOn(comfyA, promptId)).toHaveLength(0);
    await tdb.pool.query(`update generation set status = 'failed' where id = $1`, [g.id]);
  });

  test('500s from ComfyUI are retried; the job still succeeds, run once', async () => {
    comfyA.failNextRequests(3, { status: 500 });
    const { generation } = await h.enqueue({ checkpoint: 'a-only.safetensors' });
    const done = await h.waitFor(generation.id, ['succeeded']);
    expect(ranOn(comfyA, done.comfyPromptId)).toHaveLength(1);
  });

  test('an instance refusing connections: the job moves to the other instance', async () => {
    await comfyA.refuseConnections(true);
    try {
      const { generation } = await h.enqueue({ checkpoint: 'base.safetensors' });
      const done = await h.waitFor(generation.id, ['succeeded'], { timeoutMs: 20_000 });
      expect(done.comfyInstanceId).toBe(await idOf(comfyB));
    } finally {
      await comfyA.refuseConnections(false);
      await tdb.pool.query(`update comfy_instance set health = 'unknown'`);
    }
  });

  test('a dropped WebSocket mid-job: the result is still collected, once', async () => {
    comfyA.setSecondsPerStep(0.05);
    comfyA.dropSockets({ afterProgressEvents: 2 });
    const { generation } = await h.enqueue({ checkpoint: 'a-only.safetensors', steps: 10 });
    const done = await h.waitFor(generation.id, ['succeeded'], { timeoutMs: 20_000 });
    expect(ranOn(comfyA, done.comfyPromptId)).toHaveLength(1);
  });

  test('out of memory: failed with a message that says what to change, and delivered', async () => {
    comfyA.oomNext(1);
    const { generation } = await h.enqueue({ checkpoint: 'a-only.safetensors' });
    const failed = await h.waitFor(generation.id, ['failed'], { delivered: true });
    expect(failed.errorCode).toBe('out_of_memory');
    expect(failed.errorMessage).toMatch(/memory/i);
    const message = discord.messages(failed.channelId).find((m) => JSON.stringify(m.embeds).includes(failed.id));
    expect(JSON.stringify(message?.embeds)).toMatch(/memory/i);
  });
});
