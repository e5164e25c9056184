import { afterAll, beforeAll, expect, test } from 'vitest';
import { discoverModelsJob } from '#scheduler/jobs/discover-models.ts';
import { startComfySim, type ComfySim } from '#sim/comfyui/index.ts';
import { startDiscordSim, type DiscordSim } from '#sim/discord/index.ts';
import { startEmbeddedPostgres, type EmbeddedServer } from '../support/embedded-postgres.ts';
import { captureLogs } from '../support/log-capture.ts';
import { jobHelpers } from '../support/scheduler-context.ts';
import { startSchedulerHarness, type SchedulerHarness } from '../support/scheduler-harness.ts';
import { printOutage } from './outage-report.ts';

// The PostgreSQL server restarts (every connection cut, 2 s down) while generations run and wait.
// It is an embedded server of this test's own, never the shared one on 5432.
const downMs = 2000;

let pgServer: EmbeddedServer;
let discord: DiscordSim;
let comfy: ComfySim;
let h: SchedulerHarness;
const logs = captureLogs('debug');

beforeAll(async () => {
  pgServer = await startEmbeddedPostgres();
  discord = await startDiscordSim();
  comfy = await startComfySim({ models: { checkpoints: ['base.safetensors'] }, secondsPerStep: 0.05 });
  h = await startSchedulerHarness({ tdb: pgServer.db, discord, comfyUrls: [comfy.url], logger: logs.logger });
  await discoverModelsJob.handle(h.scheduler.context, {}, jobHelpers());
});
afterAll(async () => {
  await h?.stop();
  await Promise.all([comfy?.close(), discord?.close()]);
  await pgServer?.destroy();
});

test('PostgreSQL restarted under load: every generation settles, delivered once, run once; few log lines', async () => {
  const { pool } = pgServer.db;
  const before = (await Promise.all(Array.from({ length: 6 }, (_, i) => h.enqueue({ steps: 10, seed: String(i + 1) })))).map((e) => e.generation.id);
  await expect.poll(async () => (await pool.query(`select 1 from generation where status = 'running'`)).rowCount, { timeout: 10_000, interval: 20 }).toBe(2);
  const linesBefore = logs.lines.length;
  await pgServer.stop();
  const downAt = Date.now();
  await new Promise((r) => setTimeout(r, downMs));
  await pgServer.start();
  const upAt = Date.now();
  // Requests keep coming once it is back.
  const after = (await Promise.all([7, 8, 9].map((seed) => h.enqueue({ steps: 10, seed: String(seed) })))).map((e) => e.generation.id);
  const ids = [...before, ...after];

  const settled = [];
  for (const id of ids) settled.push(await h.waitFor(id, ['succeeded', 'failed', 'cancelled'], { delivered: true, timeoutMs: 25_000 }));
  const settledAt = Date.now();

  expect(settled.map((g) => [g.id, g.status, g.errorMessage])).toEqual(ids.map((id) => [id, 'succeeded', null]));
  const runs = settled.map((g) => comfy.executions.filter((e) => e.promptId === g.comfyPromptId && e.status === 'success').length);
  expect(runs).toEqual(ids.map(() => 1));
  expect(comfy.executions.filter((e) => e.status === 'success')).toHaveLength(ids.length);
  const delivered = settled.map((g) => discord.messages(g.channelId).filter((m) => JSON.stringify(m.embeds).includes(g.id)).length);
  expect(delivered).toEqual(ids.map(() => 1));

  const outageLines = logs.lines.slice(linesBefore).map((l) => JSON.parse(l) as { level: string; msg: string }).filter((l) => ['warn', 'error', 'fatal'].includes(l.level));
  printOutage('PostgreSQL restarted under load', {
    submitted: ids.length,
    settled: settled.length,
    lost: 0,
    duplicated: delivered.filter((n) => n > 1).length,
    'PostgreSQL down for': `${upAt - downAt} ms`,
    'time to recover (back up → all settled)': `${settledAt - upAt} ms`,
    'warn/error log lines during the outage': outageLines.length,
  });
  expect(outageLines.length, outageLines.map((l) => l.msg).join('\n')).toBeLessThanOrEqual(20);
});
