import { afterAll, beforeAll, expect, test } from 'vitest';
import { discoverModelsJob } from '#scheduler/jobs/discover-models.ts';
import { instanceHealthJob } from '#scheduler/jobs/instance-health.ts';
import { startComfySim, type ComfySim } from '#sim/comfyui/index.ts';
import { startDiscordSim, type DiscordSim } from '#sim/discord/index.ts';
import { captureLogs } from '../support/log-capture.ts';
import { jobHelpers } from '../support/scheduler-context.ts';
import { startSchedulerHarness, type SchedulerHarness } from '../support/scheduler-harness.ts';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.ts';
import { printOutage } from './outage-report.ts';

// Two instances; A stops answering (hung host) with work running and waiting on it. The grace period
// is 2 s here (20 s by default) so the test is quick; A stays down until everything finished on B.
const graceSeconds = 2;
const models = { checkpoints: ['base.safetensors'] };

let tdb: TestDatabase;
let discord: DiscordSim;
let comfyA: ComfySim;
let comfyB: ComfySim;
let h: SchedulerHarness;
const logs = captureLogs('debug');

beforeAll(async () => {
  tdb = await createTestDatabase();
  discord = await startDiscordSim();
  comfyA = await startComfySim({ models, secondsPerStep: 0.05 });
  comfyB = await startComfySim({ models, secondsPerStep: 0.05 });
  h = await startSchedulerHarness({ tdb, discord, comfyUrls: [comfyA.url, comfyB.url], env: { INSTANCE_GRACE_SECONDS: String(graceSeconds) }, logger: logs.logger });
  await discoverModelsJob.handle(h.scheduler.context, {}, jobHelpers());
});
afterAll(async () => {
  await h?.stop();
  await Promise.all([comfyA?.close(), comfyB?.close(), discord?.close()]);
  await tdb?.drop();
});

const instanceId = async (sim: ComfySim) => (await tdb.pool.query<{ id: number }>('select id from comfy_instance where base_url = $1', [sim.url])).rows[0]!.id;

test('work placed on an instance that stops answering finishes on the other, once, well before it returns', async () => {
  const idA = await instanceId(comfyA);
  const submitted = await Promise.all(Array.from({ length: 8 }, (_, i) => h.enqueue({ steps: 10, seed: String(i + 1) })));
  const ids = submitted.map((s) => s.generation.id);
  // Wait until A runs one and holds another in its queue (two slots per instance).
  await expect
    .poll(async () => (await tdb.pool.query(`select 1 from generation where comfy_instance_id = $1 and status = 'running'`, [idA])).rowCount, { timeout: 10_000, interval: 20 })
    .toBe(2);
  const onA = (await tdb.pool.query<{ id: string; promptId: string }>(
    `select id, comfy_prompt_id as "promptId" from generation where comfy_instance_id = $1 and status = 'running'`, [idA])).rows;
  await comfyA.freeze();
  // What had started on A when it froze (a frozen A starts nothing): the rest of onA waited in its queue.
  const runningOnA = new Set(comfyA.executions.map((e) => e.promptId));
  const diedAt = Date.now();
  const linesBefore = logs.lines.length;

  for (const id of ids) await h.waitFor(id, ['succeeded'], { delivered: true, timeoutMs: 30_000 });
  const settledAt = Date.now();

  // Every request left on A started on B; from A's death to the moved request starting there.
  const rows = await Promise.all(ids.map((id) => h.repo.get(id)));
  const idB = await instanceId(comfyB);
  const moveMs = onA.map(({ id }) => {
    const row = rows.find((r) => r.id === id)!;
    expect(row.comfyInstanceId).toBe(idB);
    return comfyB.executions.find((e) => e.promptId === row.comfyPromptId)!.startedAt - diedAt;
  });
  const abandoned = (await tdb.pool.query<{ promptId: string }>(`select prompt_id as "promptId" from abandoned_prompt where instance_id = $1`, [idA])).rows;
  expect(abandoned.map((a) => a.promptId).sort()).toEqual(onA.map((o) => o.promptId).sort());

  // While A is down (everything already moved), the health probes keep failing: still a few lines.
  for (let i = 0; i < 2; i++) await instanceHealthJob.handle(h.scheduler.context, {}, jobHelpers());

  // A returns: the prompts abandoned there are removed before it takes work again.
  await comfyA.thaw();
  await instanceHealthJob.handle(h.scheduler.context, {}, jobHelpers());
  expect((await tdb.pool.query('select 1 from abandoned_prompt')).rowCount).toBe(0);
  await comfyA.waitFor('idle', undefined, 5_000);
  const lateOnA = comfyA.executions.filter((e) => onA.some((o) => o.promptId === e.promptId) && !runningOnA.has(e.promptId));
  // What waited in A's queue never ran to an end there: a ComfyUI that comes back starts its own queue
  // at once, before any client can tell it is back, so one may start; the scheduler interrupts it.
  expect(lateOnA.filter((e) => e.status !== 'interrupted')).toEqual([]);
  await new Promise((r) => setTimeout(r, 300)); // a late result from A would be collected by now, if anyone listened

  const delivered = ids.map((id) => discord.messages(rows.find((r) => r.id === id)!.channelId).filter((m) => JSON.stringify(m.embeds).includes(id)).length);
  const succeededRuns = ids.map((id) => {
    const promptId = rows.find((r) => r.id === id)!.comfyPromptId;
    return [...comfyA.executions, ...comfyB.executions].filter((e) => e.promptId === promptId && e.status === 'success').length;
  });
  expect(delivered).toEqual(ids.map(() => 1));
  expect(succeededRuns).toEqual(ids.map(() => 1));
  expect((await Promise.all(ids.map((id) => h.repo.get(id)))).map((r) => r.status)).toEqual(ids.map(() => 'succeeded'));

  await instanceHealthJob.handle(h.scheduler.context, {}, jobHelpers());
  const outageLines = logs.lines.slice(linesBefore).map((l) => JSON.parse(l) as { level: string; msg: string }).filter((l) => ['warn', 'error', 'fatal'].includes(l.level));
  printOutage('ComfyUI instance down (hung host)', {
    submitted: ids.length,
    settled: rows.length,
    lost: 0,
    duplicated: delivered.filter((n) => n > 1).length,
    moved: onA.length,
    'death → moved request started elsewhere (max)': `${Math.max(...moveMs)} ms (grace ${graceSeconds} s)`,
    'time to recover (all settled)': `${settledAt - diedAt} ms`,
    'warn/error log lines during the outage': outageLines.length,
  });
  expect(outageLines.find((l) => /unreachable for .*recovered/.test(l.msg))).toBeDefined();
  expect(outageLines.length, outageLines.map((l) => l.msg).join('\n')).toBeLessThanOrEqual(12);
  expect(settledAt - diedAt).toBeLessThan(60_000);
});
