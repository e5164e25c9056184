import { afterAll, beforeAll, expect, test } from 'vitest';
import { discoverModelsJob } from '#scheduler/jobs/discover-models.ts';
import { startComfySim, type ComfySim } from '#sim/comfyui/index.ts';
import { startDiscordSim, type DiscordSim } from '#sim/discord/index.ts';
import { captureLogs } from '../support/log-capture.ts';
import { jobHelpers } from '../support/scheduler-context.ts';
import { startSchedulerHarness, type SchedulerHarness } from '../support/scheduler-harness.ts';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.ts';

// At the default level a successful generation is two lines for the operator: its outcome (with
// where it ran) and its delivery; the ComfyUI steps between them are debug.
let tdb: TestDatabase;
let discord: DiscordSim;
let comfy: ComfySim;
let h: SchedulerHarness;
const logs = captureLogs('info');

beforeAll(async () => {
  tdb = await createTestDatabase();
  discord = await startDiscordSim();
  comfy = await startComfySim({ models: { checkpoints: ['base.safetensors'] }, secondsPerStep: 0.005 });
  h = await startSchedulerHarness({ tdb, discord, comfyUrls: [comfy.url], logger: logs.logger });
  await discoverModelsJob.handle(h.scheduler.context, {}, jobHelpers());
});
afterAll(async () => {
  await h.stop();
  await Promise.all([comfy.close(), discord.close()]);
  await tdb.drop();
});

test('a success writes one info line for its outcome, naming the prompt and instance, and one for its delivery', async () => {
  const before = logs.lines.length;
  const { generation } = await h.enqueue();
  const done = await h.waitFor(generation.id, ['succeeded'], { delivered: true });
  const lines = logs.lines.slice(before).map((l) => JSON.parse(l) as Record<string, unknown>);
  const about = lines.filter((l) => l.generationId === done.id || l.promptId === done.comfyPromptId);
  expect(about.map((l) => `${String(l.level)} ${String(l.msg)}`).sort()).toEqual(['info delivered', 'info generation succeeded']);
  expect(about.find((l) => l.msg === 'generation succeeded')).toMatchObject({ promptId: done.comfyPromptId, instance: expect.any(String), outputs: 1 });
});
