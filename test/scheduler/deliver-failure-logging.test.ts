import { randomBytes } from 'node:crypto';
import { Routes } from 'discord-api-types/v10';
import type { PgBoss } from 'pg-boss';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { asDb } from '#shared/db/pool.ts';
import { createDiscordRest } from '#shared/discord/rest.ts';
import { GenerationRepository } from '#shared/db/repositories/generation-repository.ts';
import { startBoss } from '#shared/queue/boss.ts';
import { sendJob } from '#shared/queue/send.ts';
import { generationPrefix, originalKey } from '#shared/storage/keys.ts';
import { deliverJob } from '#scheduler/jobs/deliver.ts';
import { registerJob } from '#scheduler/register-job.ts';
import { startDiscordSim, type DiscordSim } from '#sim/discord/index.ts';
import { generationInput } from '../support/generation-fixture.ts';
import { byteRunsIn, captureLogs } from '../support/log-capture.ts';
import { createSchedulerContext } from '../support/scheduler-context.ts';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.ts';

// Discord failing (5xx) while the scheduler edits the reply with the image: the error thrown by
// @discordjs/rest holds the interaction token (URL) and the PNG (request body). Neither may reach
// the job's log line, nor the error pg-boss stores with the failed job.
let tdb: TestDatabase;
let boss: PgBoss;
let sim: DiscordSim;

beforeAll(async () => {
  tdb = await createTestDatabase();
  boss = await startBoss(tdb.url, { supervise: false });
  sim = await startDiscordSim();
});
afterAll(async () => {
  await boss.stop({ graceful: false });
  await sim.close();
  await tdb.drop();
});

test('a Discord outage during delivery: no token, no image bytes in the log or in pg-boss', async () => {
  const rest = createDiscordRest(sim.apiBase, sim.token);
  await rest.put(Routes.applicationCommands(sim.applicationId), { body: [{ name: 'imagine', description: 'Generate an image' }] });
  const sent = sim.sendCommand({ user: sim.defaultUser!, guild: sim.defaultGuild!, name: 'imagine' });
  await rest.post(Routes.interactionCallback(sent.id, sent.token), { body: { type: 5 }, auth: false });

  const { lines, logger } = captureLogs('warn');
  const ctx = { ...(await createSchedulerContext({ tdb, boss, discord: sim })), logger };
  const repo = new GenerationRepository(asDb(tdb.pool));
  const row = await repo.create(generationInput({
    userId: sim.defaultUser!.id, guildId: sim.defaultGuild!.id, channelId: sim.defaultGuild!.channels[0]!.id, applicationId: sim.applicationId,
    interactionToken: sent.token, interactionTokenExpiresAt: new Date(Date.now() + 14 * 60_000),
  }));
  // Noise does not compress: a PNG of a few hundred KB.
  const png = await sharp(randomBytes(300 * 300 * 3), { raw: { width: 300, height: 300, channels: 3 } }).png().toBuffer();
  expect(png.length).toBeGreaterThan(250_000);
  const put = await ctx.storage.put(originalKey(generationPrefix(row.userId, row.createdAt, row.id), 0), png);
  await repo.transition(row.id, 'running');
  await repo.transition(row.id, 'succeeded', { outputs: [{ index: 0, status: 'stored', path: put.key, bytes: put.bytes, sha256: put.sha256, width: 300, height: 300 }] });

  sim.injectServerError({ route: /webhooks/, count: 1_000, status: 500 });
  await registerJob(ctx, deliverJob);
  const jobId = (await sendJob(boss, 'deliver', { generationId: row.id, kind: 'result' }))!;
  await expect.poll(() => lines.some((l) => l.includes('"job failed"')), { timeout: 20_000 }).toBe(true);
  await expect.poll(async () => (await boss.getJobById('deliver', jobId))?.output, { timeout: 10_000 }).toBeTruthy();

  const [head, tail] = sent.token.split(':') as [string, string];
  const secrets = [sent.token, encodeURIComponent(sent.token), head, tail];
  const stored = JSON.stringify((await boss.getJobById('deliver', jobId))!.output);
  const logLine = lines.find((l) => l.includes('"job failed"'))!;
  for (const text of [logLine, stored]) {
    for (const secret of secrets) expect(text).not.toContain(secret);
    expect(byteRunsIn(text, png)).toEqual([]);
    expect(text.length).toBeLessThan(8_000);
  }
  const routeWithoutToken = `/webhooks/${sim.applicationId}/[redacted]/messages/%40original`;
  expect(JSON.parse(logLine)).toMatchObject({
    queue: 'deliver',
    generationId: row.id,
    err: { type: 'HTTPError', status: 500, method: 'PATCH', url: expect.stringContaining(routeWithoutToken), requestBody: { files: [{ data: `[binary ${png.length} bytes]` }] } },
  });
  expect(JSON.parse(stored)).toMatchObject({ message: expect.stringContaining('(queue: deliver, job: '), status: 500, url: expect.stringContaining(routeWithoutToken) });
});
