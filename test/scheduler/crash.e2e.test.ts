import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { PgBoss } from 'pg-boss';
import { afterAll, describe, expect, test } from 'vitest';
import { asDb } from '#shared/db/pool.ts';
import { GenerationRepository } from '#shared/db/repositories/generation-repository.ts';
import { enqueueGeneration } from '#shared/generation/enqueue.ts';
import { startBoss } from '#shared/queue/boss.ts';
import type { GenerateCheckpoint } from '#scheduler/context.ts';
import { startComfySim, type ComfySim } from '#sim/comfyui/index.ts';
import { startDiscordSim, type DiscordSim } from '#sim/discord/index.ts';
import { spawnScheduler } from '../support/scheduler-process.ts';
import { newGeneration, schedulerEnv, waitForGeneration } from '../support/scheduler-harness.ts';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.ts';

interface World {
  tdb: TestDatabase;
  discord: DiscordSim;
  comfy: ComfySim;
  boss: PgBoss;
  env: Record<string, string>;
}

const worlds: World[] = [];

/** Each crash point gets its own database and stand-ins, so the scenarios run side by side. */
async function world(): Promise<World> {
  const tdb = await createTestDatabase();
  const discord = await startDiscordSim();
  const comfy = await startComfySim({ models: { checkpoints: ['base.safetensors'] }, secondsPerStep: 0.05 });
  const boss = await startBoss(tdb.url, { supervise: false });
  const storage = await mkdtemp(path.join(tmpdir(), 'gn-crash-'));
  const w = { tdb, discord, comfy, boss, env: schedulerEnv(tdb, discord, [comfy.url], storage) };
  worlds.push(w);
  return w;
}

afterAll(async () => {
  for (const w of worlds) {
    await w.boss.stop({ graceful: false });
    await Promise.all([w.comfy.close(), w.discord.close()]);
    await w.tdb.drop();
  }
});

const crashPoints: GenerateCheckpoint[] = ['before-submit', 'after-submit', 'mid-run', 'after-finish', 'mid-download', 'after-store'];

async function crashAndRecover(at: GenerateCheckpoint) {
  const w = await world();
  const repo = new GenerationRepository(asDb(w.tdb.pool));
  const { generation } = await enqueueGeneration(w.tdb.pool, w.boss, newGeneration(w.discord, { steps: 8 }));

  const doomed = spawnScheduler({ ...w.env, __TEST__CRASH_AT: at });
  const death = await doomed.exited;
  expect(death.signal, `scheduler should have crashed at ${at}:\n${doomed.output()}`).toBe('SIGKILL');

  const survivor = spawnScheduler(w.env);
  try {
    const done = await waitForGeneration(repo, generation.id, ['succeeded'], { delivered: true, timeoutMs: 45_000 });
    // Let the sim finish anything still queued, so a double run would show up.
    await w.comfy.waitFor('idle', undefined, 5000);
    const runs = w.comfy.executions.filter((e) => e.status !== 'interrupted');
    return { done, runs, w };
  } finally {
    await survivor.kill('SIGTERM');
  }
}

// Recovery waits out pg-boss's job heartbeat (10 s minimum), so the scenarios run concurrently.
describe.concurrent('crash safety: a real scheduler process killed, a new one resumes from the stored prompt id', () => {
  test.for(crashPoints)('killed at %s → delivered exactly once, run on the GPU exactly once', { timeout: 90_000 }, async (at, { expect }) => {
    const { done, runs, w } = await crashAndRecover(at);
    expect(runs.map((r) => r.promptId)).toEqual([done.comfyPromptId]);
    const delivered = w.discord.messages(done.channelId).filter((m) => JSON.stringify(m.embeds).includes(done.id));
    expect(delivered).toHaveLength(1);
    expect(done.outputs.every((o) => o.status === 'stored')).toBe(true);
  });
});
