import { afterAll, beforeAll } from 'vitest';
import { startComfySim, type ComfySim, type ComfySimOptions } from '#sim/comfyui/index.ts';
import { startDiscordSim, type DiscordSim } from '#sim/discord/index.ts';
import { startSchedulerHarness, type SchedulerHarness } from './scheduler-harness.ts';
import { createTestDatabase, type TestDatabase } from './testDatabase.ts';

export interface SchedulerWorld {
  tdb: TestDatabase;
  discord: DiscordSim;
  comfy: ComfySim;
  h: SchedulerHarness;
}

/**
 * A fresh database, both stand-ins and a scheduler on them, for one test file: started before its
 * tests (register further `beforeAll` hooks after this call), stopped after them. `env` may read
 * the started ComfyUI stand-in (its URL).
 */
export function schedulerForFile(opts: { comfy: ComfySimOptions; env?: (comfy: ComfySim) => Record<string, string> }): SchedulerWorld {
  const world = {} as SchedulerWorld;
  beforeAll(async () => {
    world.tdb = await createTestDatabase();
    world.discord = await startDiscordSim();
    world.comfy = await startComfySim(opts.comfy);
    world.h = await startSchedulerHarness({ tdb: world.tdb, discord: world.discord, comfyUrls: [world.comfy.url], env: opts.env?.(world.comfy) });
  });
  afterAll(async () => {
    await world.h?.stop();
    await Promise.all([world.comfy?.close(), world.discord?.close()]);
    await world.tdb?.drop();
  });
  return world;
}
