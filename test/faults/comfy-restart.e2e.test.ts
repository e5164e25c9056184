import { register } from 'prom-client';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { discoverModelsJob } from '#scheduler/jobs/discover-models.ts';
import { startComfySim, type ComfySim } from '#sim/comfyui/index.ts';
import { startDiscordSim, type DiscordSim } from '#sim/discord/index.ts';
import { captureLogs } from '../support/log-capture.ts';
import { jobHelpers } from '../support/scheduler-context.ts';
import { startSchedulerHarness, type SchedulerHarness } from '../support/scheduler-harness.ts';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.ts';
import { printOutage } from './outage-report.ts';

// One instance restarts mid-run (the process died: its queue and history are gone) and comes back on
// the same port 1.5 s later. Every request, running or waiting there, ends delivered once.
let tdb: TestDatabase;
let discord: DiscordSim;
let comfy: ComfySim;
let h: SchedulerHarness;
const logs = captureLogs('debug');

beforeAll(async () => {
  tdb = await createTestDatabase();
  discord = await startDiscordSim();
  comfy = await startComfySim({ models: { checkpoints: ['base.safetensors'] }, secondsPerStep: 0.03 });
  h = await startSchedulerHarness({ tdb, discord, comfyUrls: [comfy.url], env: { INSTANCE_GRACE_SECONDS: '2' }, logger: logs.logger });
  await discoverModelsJob.handle(h.scheduler.context, {}, jobHelpers());
});
afterAll(async () => {
  await h?.stop();
  await Promise.all([comfy?.close(), discord?.close()]);
  await tdb?.drop();
});

test('a ComfyUI restart that loses its queue: every request settles, delivered once, none succeeds twice', async () => {
  const ids = (await Promise.all(Array.from({ length: 6 }, (_, i) => h.enqueue({ steps: 10, seed: String(i + 1) })))).map((e) => e.generation.id);
  // Crash while one runs and another waits in ComfyUI's queue (two slots).
  await expect.poll(() => comfy.executions.filter((e) => e.status === 'success').length, { timeout: 10_000, interval: 20 }).toBeGreaterThanOrEqual(1);
  await expect.poll(async () => (await tdb.pool.query(`select 1 from generation where status = 'running'`)).rowCount, { timeout: 10_000, interval: 20 }).toBe(2);
  // A prompt that finished in ComfyUI but was not collected yet dies with the process's history: it
  // must run again (nothing else could give the member an image). Those, and only those, may run twice.
  const runningPrompts = (await tdb.pool.query<{ id: string }>(`select comfy_prompt_id as id from generation where status = 'running'`)).rows.map((r) => r.id);
  await comfy.crash();
  const crashedAt = Date.now();
  const uncollectedPrompts = comfy.executions.filter((e) => e.status === 'success' && runningPrompts.includes(e.promptId)).map((e) => e.promptId);
  const finishedUncollected = uncollectedPrompts.length;
  const linesBefore = logs.lines.length;
  await new Promise((r) => setTimeout(r, 1500));
  await comfy.restart();

  for (const id of ids) await h.waitFor(id, ['succeeded'], { delivered: true, timeoutMs: 25_000 });
  const settledAt = Date.now();

  const rows = await Promise.all(ids.map((id) => h.repo.get(id)));
  const successes = rows.map((g) => comfy.executions.filter((e) => e.promptId === g.comfyPromptId && e.status === 'success').length);
  // One success per request; a second only for a prompt the crash destroyed after it finished (it is
  // submitted again under the same prompt id, unknown to the restarted ComfyUI).
  expect(successes).toEqual(rows.map((g, i) => (uncollectedPrompts.includes(g.comfyPromptId!) && successes[i] === 2 ? 2 : 1)));
  // No GPU result made twice, except one whose result the crash destroyed before it was collected.
  expect(comfy.executions.filter((e) => e.status === 'success').length).toBeLessThanOrEqual(ids.length + finishedUncollected);
  expect(comfy.executions.filter((e) => e.status === 'lost').length).toBeGreaterThanOrEqual(1);
  const delivered = rows.map((g) => discord.messages(g.channelId).filter((m) => JSON.stringify(m.embeds).includes(g.id)).length);
  expect(delivered).toEqual(ids.map(() => 1));

  const outageLines = logs.lines.slice(linesBefore).map((l) => JSON.parse(l) as { level: string; msg: string }).filter((l) => ['warn', 'error', 'fatal'].includes(l.level));
  printOutage('ComfyUI restarted, queue lost', {
    submitted: ids.length,
    settled: rows.filter((g) => g.status === 'succeeded').length,
    lost: 0,
    duplicated: delivered.filter((n) => n > 1).length,
    'runs lost in the crash (run again)': comfy.executions.filter((e) => e.status === 'lost').length,
    'finished but uncollected at the crash (run again)': finishedUncollected,
    'time to recover (crash → all settled)': `${settledAt - crashedAt} ms`,
    'warn/error log lines during the outage': outageLines.length,
  });
  expect(outageLines.length, outageLines.map((l) => l.msg).join('\n')).toBeLessThanOrEqual(15);
  // The outage is counted on the default registry every role serves.
  const metrics = await register.metrics();
  expect(metrics).toMatch(/genonaut_outage_episodes_total\{source="comfyui_(http|websocket)"\} [1-9]/);
  expect(metrics).toMatch(/genonaut_outage_failures_total\{source="comfyui_(http|websocket)"\} [1-9]/);
});
