import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type pg from 'pg';
import { afterAll, describe, test } from 'vitest';
import { asDb } from '#shared/db/pool.ts';
import { GenerationRepository } from '#shared/db/repositories/generation-repository.ts';
import { enqueueGeneration } from '#shared/generation/enqueue.ts';
import { startBoss } from '#shared/queue/boss.ts';
import { startComfySim } from '#sim/comfyui/index.ts';
import { startDiscordSim } from '#sim/discord/index.ts';
import { claimedRows, installClaimClock } from '../../bench/lib/claim-clock.ts';
import { spawnScheduler, type SchedulerProcess } from '../support/scheduler-process.ts';
import { newGeneration, schedulerEnv, waitForGeneration } from '../support/scheduler-harness.ts';
import { createTestDatabase } from '../support/testDatabase.ts';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** Waits until `n` generate jobs are held by workers (the heavy burst is being worked on). */
async function untilActiveJobs(pool: pg.Pool, n: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await pool.query<{ n: number }>(`select count(*)::int as n from pgboss.job where name = 'generate' and state = 'active'`);
    if (rows[0]!.n >= n) return;
    if (Date.now() > deadline) throw new Error(`only ${rows[0]!.n} of ${n} generate jobs became active`);
    await delay(50);
  }
}

/**
 * The heavy user's burst is already being worked on (every worker of every scheduler holds one of
 * its jobs) when nine other users ask for one image each; the GPU (one instance, two slots) is
 * slow enough that slots are given one at a time, as prompts finish.
 */
async function scenario(schedulers: number) {
  const tdb = await createTestDatabase();
  await installClaimClock(tdb.pool);
  const discord = await startDiscordSim();
  const comfy = await startComfySim({ models: { checkpoints: ['base.safetensors'] }, secondsPerStep: 0.05 });
  const boss = await startBoss(tdb.url, { supervise: false });
  const storage = await mkdtemp(path.join(tmpdir(), 'gn-fair-'));
  const env = schedulerEnv(tdb, discord, [comfy.url], storage);
  const procs: SchedulerProcess[] = [];
  cleanups.push(async () => {
    await Promise.all(procs.map((p) => p.kill('SIGTERM')));
    await boss.stop({ graceful: false });
    await Promise.all([comfy.close(), discord.close()]);
    await tdb.drop();
  });
  for (let i = 0; i < schedulers; i++) procs.push(spawnScheduler(env));

  comfy.pause();
  const enqueue = async (userId: string) =>
    (await enqueueGeneration(tdb.pool, boss, newGeneration(discord, { userId, steps: 4 }))).generation.id;
  const heavy: string[] = [];
  for (let i = 0; i < 20; i++) heavy.push(await enqueue('100000000000000900'));
  // Each scheduler runs 2 generate workers (one instance of depth 2).
  await untilActiveJobs(tdb.pool, 2 * schedulers);
  const light: string[] = [];
  for (let u = 1; u <= 9; u++) light.push(await enqueue(`10000000000000091${u}`));
  comfy.resume();

  const repo = new GenerationRepository(asDb(tdb.pool));
  for (const id of [...heavy, ...light]) await waitForGeneration(repo, id, ['succeeded'], { timeoutMs: 60_000 });
  const { rows } = await tdb.pool.query<{ id: string; prompt: string }>(
    `select id, comfy_prompt_id as prompt from generation where id = any($1::uuid[])`,
    [[...heavy, ...light]],
  );
  const generationOf = new Map(rows.map((r) => [r.prompt, r.id]));
  const ran = comfy.executions.map((e) => generationOf.get(e.promptId)).filter((id): id is string => Boolean(id));
  // Judged on when each claim decided (a trigger's clock_timestamp()), not on the order ComfyUI
  // started them: two workers' submits after their claims can cross on a loaded machine.
  const startOrder = (await claimedRows(tdb.pool)).sort((a, b) => a.startedAt - b.startedAt).map((r) => r.id);
  return { heavy, light, startOrder, ran, runs: comfy.executions.length };
}

describe.concurrent('fair order across scheduler processes sharing one database', () => {
  test.for([1, 3])(
    "%i scheduler process(es): one user queueing 20, nine queueing 1 → all nine start before the heavy user's 3rd job",
    { timeout: 120_000 },
    async (schedulers, { expect }) => {
      const { heavy, light, startOrder, ran, runs } = await scenario(schedulers);
      expect(startOrder).toHaveLength(29);
      expect(new Set(ran)).toEqual(new Set(startOrder));
      expect(runs).toBe(29);
      const heavyThird = startOrder.indexOf(heavy[2]!);
      const lightStarts = light.map((id) => startOrder.indexOf(id));
      expect(Math.max(...lightStarts), `start order: ${startOrder.map((id) => (light.includes(id) ? 'L' : 'H')).join('')}`).toBeLessThan(heavyThird);
    },
  );
});
