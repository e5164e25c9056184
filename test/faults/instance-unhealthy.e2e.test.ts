import { afterAll, beforeAll, expect, test } from 'vitest';
import { discoverModelsJob } from '#scheduler/jobs/discover-models.ts';
import { instanceHealthJob } from '#scheduler/jobs/instance-health.ts';
import { startComfySim, type ComfySim } from '#sim/comfyui/index.ts';
import { startDiscordSim, type DiscordSim } from '#sim/discord/index.ts';
import { jobHelpers } from '../support/scheduler-context.ts';
import { startSchedulerHarness, type SchedulerHarness } from '../support/scheduler-harness.ts';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.ts';
import { printOutage } from './outage-report.ts';

// A's GPU is stuck (paused) and its health check starts failing (500 on /system_stats) while its
// queue still answers: the health job marks it unhealthy. The requests waiting in its queue move to
// B at once, without waiting for the grace period (60 s here) or the generation timeout, and never
// run on A.
const models = { checkpoints: ['base.safetensors'] };

let tdb: TestDatabase;
let discord: DiscordSim;
let comfyA: ComfySim;
let comfyB: ComfySim;
let h: SchedulerHarness;

beforeAll(async () => {
  tdb = await createTestDatabase();
  discord = await startDiscordSim();
  comfyA = await startComfySim({ models, secondsPerStep: 0.02 });
  comfyB = await startComfySim({ models, secondsPerStep: 0.02 });
  h = await startSchedulerHarness({ tdb, discord, comfyUrls: [comfyA.url, comfyB.url], env: { INSTANCE_GRACE_SECONDS: '60' } });
  await discoverModelsJob.handle(h.scheduler.context, {}, jobHelpers());
});
afterAll(async () => {
  await h?.stop();
  await Promise.all([comfyA?.close(), comfyB?.close(), discord?.close()]);
  await tdb?.drop();
});

const instanceId = async (sim: ComfySim) => (await tdb.pool.query<{ id: number }>('select id from comfy_instance where base_url = $1', [sim.url])).rows[0]!.id;

test('requests waiting on an instance marked unhealthy move to another and run once', async () => {
  const [idA, idB] = [await instanceId(comfyA), await instanceId(comfyB)];
  // Both held, and more waiting than the two instances: each takes a second prompt (keep-ahead
  // fills busy instances only while more wait than there are instances), so two wait on A.
  comfyA.pause();
  comfyB.pause();
  const ids = (await Promise.all(Array.from({ length: 6 }, (_, i) => h.enqueue({ steps: 10, seed: String(i + 1) })))).map((e) => e.generation.id);
  const placedOn = async (id: number) => (await tdb.pool.query(`select 1 from generation where comfy_instance_id = $1 and comfy_prompt_id is not null`, [id])).rowCount;
  await expect.poll(async () => [await placedOn(idA), await placedOn(idB)], { timeout: 10_000, interval: 20 }).toEqual([2, 2]);
  comfyB.resume();
  const waitingOnA = (await tdb.pool.query<{ id: string; promptId: string }>(
    `select id, comfy_prompt_id as "promptId" from generation where comfy_instance_id = $1`, [idA])).rows;

  comfyA.failNextRequests(10_000, { status: 500, pathPrefix: '/system_stats' });
  await instanceHealthJob.handle(h.scheduler.context, {}, jobHelpers());
  expect((await tdb.pool.query('select health from comfy_instance where id = $1', [idA])).rows[0].health).toBe('unhealthy');
  const markedAt = Date.now();
  for (const id of ids) await h.waitFor(id, ['succeeded'], { delivered: true, timeoutMs: 20_000 });
  const settledAt = Date.now();

  const rows = await Promise.all(ids.map((id) => h.repo.get(id)));
  expect(rows.map((r) => r.comfyInstanceId)).toEqual(ids.map(() => idB));
  const abandoned = (await tdb.pool.query<{ promptId: string }>(`select prompt_id as "promptId" from abandoned_prompt where instance_id = $1`, [idA])).rows;
  expect(abandoned.map((a) => a.promptId).sort()).toEqual(waitingOnA.map((w) => w.promptId).sort());

  // A recovers: the health job removes what was abandoned there before anything runs.
  comfyA.clearFaults();
  comfyA.resume();
  await instanceHealthJob.handle(h.scheduler.context, {}, jobHelpers());
  expect((await tdb.pool.query('select 1 from abandoned_prompt')).rowCount).toBe(0);
  await comfyA.waitFor('idle', undefined, 5_000);
  // The one A had started (stuck mid-run) was interrupted there; none finished on A.
  expect(comfyA.executions.filter((e) => e.status !== 'interrupted')).toEqual([]);
  const delivered = rows.map((g) => discord.messages(g.channelId).filter((m) => JSON.stringify(m.embeds).includes(g.id)).length);
  expect(delivered).toEqual(ids.map(() => 1));
  expect(comfyB.executions.filter((e) => e.status === 'success')).toHaveLength(ids.length);

  printOutage('ComfyUI instance marked unhealthy with requests waiting', {
    submitted: ids.length,
    settled: rows.length,
    lost: 0,
    duplicated: delivered.filter((n) => n > 1).length,
    moved: waitingOnA.length,
    'time to recover (marked → all settled)': `${settledAt - markedAt} ms`,
  });
});
