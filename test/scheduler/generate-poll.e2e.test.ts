import { afterAll, beforeAll, expect, test } from 'vitest';
import { GenerationRepository } from '#shared/db/repositories/generation-repository.ts';
import { asDb } from '#shared/db/pool.ts';
import { generateWorkerPollSeconds } from '#scheduler/generation/idle-workers.ts';
import { discoverModelsJob } from '#scheduler/jobs/discover-models.ts';
import { startComfySim, type ComfySim } from '#sim/comfyui/index.ts';
import { startDiscordSim, type DiscordSim } from '#sim/discord/index.ts';
import { jobHelpers } from '../support/scheduler-context.ts';
import { newGeneration, startSchedulerHarness, type SchedulerHarness } from '../support/scheduler-harness.ts';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.ts';

// Work nobody announced (no NOTIFY: a retry whose delay ended, a wake-up lost with a connection) is
// found by the process's own poll (one idle worker every 2 s), long before any worker's own poll.
let tdb: TestDatabase;
let discord: DiscordSim;
let comfy: ComfySim;
let h: SchedulerHarness;

beforeAll(async () => {
  tdb = await createTestDatabase();
  discord = await startDiscordSim();
  comfy = await startComfySim({ models: { checkpoints: ['base.safetensors'] }, secondsPerStep: 0 });
  h = await startSchedulerHarness({ tdb, discord, comfyUrls: [comfy.url] });
  await discoverModelsJob.handle(h.scheduler.context, {}, jobHelpers());
});
afterAll(async () => {
  await h.stop();
  await Promise.all([comfy.close(), discord.close()]);
  await tdb.drop();
});

test('a generate job sent without a NOTIFY starts within a few seconds, not at the workers\' own poll', async () => {
  // Every worker has fetched (nothing) since the scheduler started: each now sleeps its own interval.
  await new Promise((r) => setTimeout(r, 1000));
  const g = await new GenerationRepository(asDb(tdb.pool)).create({ ...newGeneration(discord), chargedAt: new Date() });
  await h.scheduler.boss.send('generate', { generationId: g.id });
  const sentAt = Date.now();
  await expect.poll(() => comfy.executions.length, { timeout: 20_000, interval: 50 }).toBe(1);
  expect(Date.now() - sentAt).toBeLessThan((generateWorkerPollSeconds * 1000) / 2);
});
