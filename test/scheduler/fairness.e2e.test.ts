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
  comfy = await startComfySim({ models: { checkpoints: ['base.safetensors'] }, secondsPerStep: 0.005 });
  h = await startSchedulerHarness({ tdb, discord, comfyUrls: [comfy.url] });
});
afterAll(async () => {
  await h.stop();
  await Promise.all([comfy.close(), discord.close()]);
  await tdb.drop();
});

describe('fair order', () => {
  test("one user queueing 20 and nine queueing 1: all nine start before the heavy user's 3rd job", { timeout: 60_000 }, async () => {
    comfy.pause();
    const heavy: string[] = [];
    for (let i = 0; i < 20; i++) heavy.push((await h.enqueue({ userId: '100000000000000900' })).generation.id);
    const light: string[] = [];
    for (let u = 1; u <= 9; u++) light.push((await h.enqueue({ userId: `10000000000000091${u}` })).generation.id);
    comfy.resume();
    for (const id of [...heavy, ...light]) await h.waitFor(id, ['succeeded'], { timeoutMs: 30_000 });

    const { rows } = await tdb.pool.query<{ id: string; prompt: string }>(
      `select id, comfy_prompt_id as prompt from generation where id = any($1::uuid[])`,
      [[...heavy, ...light]],
    );
    const generationOf = new Map(rows.map((r) => [r.prompt, r.id]));
    const startOrder = comfy.executions.map((e) => generationOf.get(e.promptId)).filter((id): id is string => Boolean(id));
    expect(startOrder).toHaveLength(29);
    const heavyThird = startOrder.indexOf(heavy[2]!);
    const lightStarts = light.map((id) => startOrder.indexOf(id));
    expect(Math.max(...lightStarts)).toBeLessThan(heavyThird);
  });
});
