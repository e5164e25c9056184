import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { asDb } from '#shared/db/pool.ts';
import { GenerationRepository } from '#shared/db/repositories/generation-repository.ts';
import { enqueueGeneration } from '#shared/generation/enqueue.ts';
import { startBoss } from '#shared/queue/boss.ts';
import { startComfySim } from '#sim/comfyui/index.ts';
import { startDiscordSim } from '#sim/discord/index.ts';
import { spawnScheduler } from '../support/scheduler-process.ts';
import { newGeneration, schedulerEnv, waitForGeneration } from '../support/scheduler-harness.ts';
import { createTestDatabase } from '../support/testDatabase.ts';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

/**
 * A job runs whichever waiting generation deserves a free slot, not necessarily its own. Here the
 * only job a scheduler can fetch is B's, so it places A (older, same priority), submits it and is
 * killed. A must still finish exactly once: resumed by B's job's retry, or taken over by A's own job.
 */
test("killed after submitting ANOTHER job's generation → both delivered exactly once, each run once", { timeout: 120_000 }, async () => {
  const tdb = await createTestDatabase();
  const discord = await startDiscordSim();
  const comfy = await startComfySim({ models: { checkpoints: ['base.safetensors'] }, secondsPerStep: 0.05 });
  const boss = await startBoss(tdb.url, { supervise: false });
  const env = schedulerEnv(tdb, discord, [comfy.url], await mkdtemp(path.join(tmpdir(), 'gn-crash-other-')));
  cleanups.push(async () => {
    await boss.stop({ graceful: false });
    await Promise.all([comfy.close(), discord.close()]);
    await tdb.drop();
  });
  const repo = new GenerationRepository(asDb(tdb.pool));

  const a = await enqueueGeneration(tdb.pool, boss, newGeneration(discord, { userId: '100000000000000801', steps: 8 }));
  const b = await enqueueGeneration(tdb.pool, boss, newGeneration(discord, { userId: '100000000000000802', steps: 8 }));
  // Hold A's own job back so that only B's job can be fetched at first.
  await tdb.pool.query(`update pgboss.job set start_after = now() + interval '1 hour' where id = $1`, [a.jobId]);

  const doomed = spawnScheduler({ ...env, __TEST__CRASH_AT: 'after-submit' });
  const death = await doomed.exited;
  expect(death.signal, doomed.output()).toBe('SIGKILL');
  const placed = await repo.get(a.generation.id);
  expect(placed.status).toBe('running');
  expect(placed.generateJobId).toBe(b.jobId);

  await tdb.pool.query(`update pgboss.job set start_after = now() where id = $1`, [a.jobId]);
  const survivor = spawnScheduler(env);
  try {
    const doneA = await waitForGeneration(repo, a.generation.id, ['succeeded'], { delivered: true, timeoutMs: 60_000 });
    const doneB = await waitForGeneration(repo, b.generation.id, ['succeeded'], { delivered: true, timeoutMs: 60_000 });
    await comfy.waitFor('idle', undefined, 5000);
    const runs = comfy.executions.filter((e) => e.status !== 'interrupted').map((e) => e.promptId);
    expect(runs.sort()).toEqual([doneA.comfyPromptId, doneB.comfyPromptId].sort());
    expect(doneA.comfyPromptId).toBe(placed.comfyPromptId);
    for (const done of [doneA, doneB]) {
      expect(discord.messages(done.channelId).filter((m) => JSON.stringify(m.embeds).includes(done.id))).toHaveLength(1);
    }
  } finally {
    await survivor.kill('SIGTERM');
  }
});
