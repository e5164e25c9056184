import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startComfySim, type ComfySim } from '#sim/comfyui/index.ts';
import { startDiscordSim, type DiscordSim } from '#sim/discord/index.ts';
import { startSchedulerHarness, type SchedulerHarness } from '../support/scheduler-harness.ts';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.ts';

let tdb: TestDatabase;
let discord: DiscordSim;
let comfy: ComfySim;
let h: SchedulerHarness;

beforeAll(async () => {
  tdb = await createTestDatabase();
  discord = await startDiscordSim();
  comfy = await startComfySim({ models: { checkpoints: ['base.safetensors'] }, secondsPerStep: 0.5 });
  h = await startSchedulerHarness({ tdb, discord, comfyUrls: [comfy.url], env: { GENERATION_TIMEOUT_SECONDS: '2' } });
});
afterAll(async () => {
  await h.stop();
  await Promise.all([comfy.close(), discord.close()]);
  await tdb.drop();
});

describe('time budget', () => {
  test('a generation over its budget fails with a reason saying what to change, and ComfyUI stops it', async () => {
    const { generation } = await h.enqueue({ steps: 20 });
    const failed = await h.waitFor(generation.id, ['failed'], { delivered: true, timeoutMs: 10_000 });
    expect(failed.errorCode).toBe('timeout');
    expect(failed.errorMessage).toMatch(/fewer steps|smaller/);
    await comfy.waitFor('idle', undefined, 5000);
    expect(comfy.executions.find((e) => e.promptId === failed.comfyPromptId)?.status).toBe('interrupted');
  });
});
