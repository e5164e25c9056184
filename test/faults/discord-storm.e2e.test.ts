import { afterAll, beforeAll, expect, test } from 'vitest';
import { discoverModelsJob } from '#scheduler/jobs/discover-models.ts';
import { startComfySim, type ComfySim } from '#sim/comfyui/index.ts';
import { startDiscordSim, type DiscordSim } from '#sim/discord/index.ts';
import { captureLogs } from '../support/log-capture.ts';
import { jobHelpers } from '../support/scheduler-context.ts';
import { startSchedulerHarness, type SchedulerHarness } from '../support/scheduler-harness.ts';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.ts';
import { printOutage } from './outage-report.ts';

// Discord answers a storm of 429s, then 5xx, while the scheduler delivers results (these requests
// have no Discord message of their own, so results are posted; progress edits are not exercised).
// The storm is counted in requests (sim/discord's fault queue), so it lasts as long as the product
// keeps asking: nothing is lost, nothing posted twice, and the log says so in a few lines.
const rateLimits = 40;
const serverErrors = 16;

let tdb: TestDatabase;
let discord: DiscordSim;
let comfy: ComfySim;
let h: SchedulerHarness;
const logs = captureLogs('debug');

beforeAll(async () => {
  tdb = await createTestDatabase();
  discord = await startDiscordSim();
  comfy = await startComfySim({ models: { checkpoints: ['base.safetensors'] }, secondsPerStep: 0.1 });
  h = await startSchedulerHarness({ tdb, discord, comfyUrls: [comfy.url], logger: logs.logger });
  await discoverModelsJob.handle(h.scheduler.context, {}, jobHelpers());
});
afterAll(async () => {
  await h?.stop();
  await Promise.all([comfy?.close(), discord?.close()]);
  await tdb?.drop();
});

test('Discord 429 storms and 5xx during delivery: every result delivered once, few log lines', async () => {
  const ids = (await Promise.all(Array.from({ length: 4 }, (_, i) => h.enqueue({ steps: 20, seed: String(i + 1) })))).map((e) => e.generation.id);
  await expect.poll(() => comfy.executions.length, { timeout: 10_000, interval: 20 }).toBeGreaterThanOrEqual(1);
  const stormAt = Date.now();
  const linesBefore = logs.lines.length;
  const requestsBefore = discord.requests.length;
  discord.injectRateLimit({ count: rateLimits, retryAfterSeconds: 0.2 });
  discord.injectServerError({ count: serverErrors, status: 503 });

  for (const id of ids) await h.waitFor(id, ['succeeded'], { delivered: true, timeoutMs: 28_000 });
  const settledAt = Date.now();

  const answered = discord.requests.slice(requestsBefore);
  expect(answered.filter((r) => r.status === 429)).toHaveLength(rateLimits); // the storm really hit
  expect(answered.filter((r) => r.status === 503)).toHaveLength(serverErrors);
  const rows = await Promise.all(ids.map((id) => h.repo.get(id)));
  const channel = rows[0]!.channelId;
  const delivered = rows.map((g) => discord.messages(channel).filter((m) => JSON.stringify(m.embeds).includes(g.id)).length);
  expect(delivered).toEqual(ids.map(() => 1));
  // Each shows its result (with the image), not a progress bar left behind.
  for (const g of rows) {
    const message = discord.messages(channel).find((m) => JSON.stringify(m.embeds).includes(g.id))!;
    expect(message.attachments.length).toBeGreaterThanOrEqual(1);
  }
  expect(comfy.executions.filter((e) => e.status === 'success')).toHaveLength(ids.length);
  expect(discord.violations).toEqual([]);

  const outageLines = logs.lines.slice(linesBefore).map((l) => JSON.parse(l) as { level: string; msg: string }).filter((l) => ['warn', 'error', 'fatal'].includes(l.level));
  printOutage('Discord 429 storm and 5xx during delivery', {
    submitted: ids.length,
    settled: rows.filter((g) => g.status === 'succeeded' && g.deliveredAt).length,
    lost: 0,
    duplicated: delivered.filter((n) => n > 1).length,
    'Discord 429 / 5xx answers': `${rateLimits} / ${serverErrors}`,
    'time to recover (storm → all delivered)': `${settledAt - stormAt} ms`,
    'warn/error log lines during the outage': outageLines.length,
  });
  expect(outageLines.length, outageLines.map((l) => l.msg).join('\n')).toBeLessThanOrEqual(12);
});
