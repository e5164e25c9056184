import type { PgBoss } from 'pg-boss';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { withTransaction } from '#shared/db/pool.ts';
import { GenerationRepository } from '#shared/db/repositories/generation-repository.ts';
import { requestCancel } from '#shared/generation/cancel.ts';
import { enqueueGeneration } from '#shared/generation/enqueue.ts';
import { LimitError } from '#shared/limits/limit-error.ts';
import { Limiter } from '#shared/limits/limiter.ts';
import { noLimits, type Limits } from '#shared/limits/policy.ts';
import { startBoss } from '#shared/queue/boss.ts';
import { settle } from '#scheduler/settle.ts';
import { generationInput } from '../support/generation-fixture.ts';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.ts';

let tdb: TestDatabase;
let boss: PgBoss;
let clock: Date;

beforeAll(async () => {
  tdb = await createTestDatabase();
  boss = await startBoss(tdb.url, { supervise: false });
});
afterAll(async () => {
  await boss.stop({ graceful: false });
  await tdb.drop();
});
beforeEach(async () => {
  await tdb.pool.query('truncate generation, comfy_instance cascade');
  await tdb.pool.query('truncate user_usage, queue_waiting, limit_policy');
  await tdb.pool.query(`delete from pgboss.job`);
  clock = new Date('2026-12-01T12:00:30Z');
});

const U = '100000000000000001';
const limiter = (l: Partial<Limits>, maxWaiting = 0) => new Limiter({ defaults: { ...noLimits, ...l }, maxWaiting }, () => clock);
const enqueue = (l: Limiter, batchSize = 2, userId = U) => enqueueGeneration(tdb.pool, boss, generationInput({ userId, batchSize }), { limiter: l });
const usage = async () =>
  (await tdb.pool.query(`select minute_count as minute, hour_count as hour, day_count as day, active from user_usage where user_id = $1`, [U])).rows[0];
const waiting = async () => (await tdb.pool.query(`select coalesce(sum(waiting), 0)::int as n from queue_waiting`)).rows[0].n;
/** What placement does when an image server takes the request. */
const start = (id: string) => withTransaction(tdb.pool, (db) => new GenerationRepository(db).transition(id, 'running', {}, ['queued']));

describe('refunds', () => {
  test('cancelled before it started: the images come back to every window, and the request is no longer active', async () => {
    const l = limiter({ perMinute: 4, perHour: 10, perDay: 10 });
    const a = await enqueue(l);
    await enqueue(l);
    expect(await usage()).toEqual({ minute: 4, hour: 4, day: 4, active: 2 });
    await expect(enqueue(l, 1)).rejects.toBeInstanceOf(LimitError);
    await requestCancel(tdb.pool, boss, a.generation.id);
    expect(await usage()).toEqual({ minute: 2, hour: 2, day: 2, active: 1 });
    expect(await waiting()).toBe(1);
    await expect(enqueue(l)).resolves.toMatchObject({ generation: { status: 'queued' } });
  });

  test('failed before it started (e.g. no server has the model): the images come back', async () => {
    const l = limiter({ perDay: 10 });
    const a = await enqueue(l, 3);
    await settle(tdb.pool, boss, a.generation.id, 'failed', { errorCode: 'model_missing', errorMessage: 'nope' });
    expect(await usage()).toMatchObject({ day: 0, active: 0 });
    expect(await waiting()).toBe(0);
  });

  test('succeeded, or failed or cancelled after it started: the images stay counted; only the active slot frees', async () => {
    const l = limiter({ perDay: 20, maxActive: 3 });
    const [ok, failed, cancelled] = [await enqueue(l), await enqueue(l), await enqueue(l)];
    for (const g of [ok, failed, cancelled]) await start(g.generation.id);
    expect(await waiting()).toBe(0);
    await settle(tdb.pool, boss, ok.generation.id, 'succeeded');
    await settle(tdb.pool, boss, failed.generation.id, 'failed', { errorCode: 'out_of_memory', errorMessage: 'oom' });
    await requestCancel(tdb.pool, boss, cancelled.generation.id);
    expect(await usage()).toMatchObject({ day: 6, active: 1 });
    await settle(tdb.pool, boss, cancelled.generation.id, 'cancelled');
    expect(await usage()).toMatchObject({ day: 6, active: 0 });
  });

  test('a refund goes back to the windows the images were taken from; a window that has ended keeps its count', async () => {
    const l = limiter({ perMinute: 4, perHour: 10 });
    const early = await enqueue(l);
    clock = new Date('2026-12-01T12:01:10Z');
    await enqueue(l);
    expect(await usage()).toMatchObject({ minute: 2, hour: 4 });
    await requestCancel(tdb.pool, boss, early.generation.id);
    expect(await usage()).toMatchObject({ minute: 2, hour: 2, active: 1 });
  });

  test('a request sent back to the line after its server died counts as waiting again, and is not refunded when it ends', async () => {
    const l = limiter({ perDay: 10 });
    const g = await enqueue(l);
    await start(g.generation.id);
    await withTransaction(tdb.pool, (db) => new GenerationRepository(db).transition(g.generation.id, 'queued', {}, ['running']));
    expect(await waiting()).toBe(1);
    await requestCancel(tdb.pool, boss, g.generation.id);
    expect(await waiting()).toBe(0);
    expect(await usage()).toMatchObject({ day: 2, active: 0 });
  });
});

describe('backpressure', () => {
  test('with the line at QUEUE_MAX_WAITING, a new request is refused with the numbers and the current wait; room again once one starts', async () => {
    await tdb.pool.query(`insert into comfy_instance (name, base_url, health) values ('gpu1', 'http://gpu1', 'healthy'), ('gpu2', 'http://gpu2', 'healthy')`);
    await tdb.pool.query(
      `insert into generation (id, user_id, channel_id, application_id, prompt, checkpoint, width, height, seed, steps, cfg, sampler, scheduler, status, created_at, started_at, finished_at)
       values (gen_random_uuid(), '1', '1', '1', 'p', 'c', 64, 64, 1, 1, 1, 'euler', 'normal', 'succeeded', now(), now() - interval '40 seconds', now())`,
    );
    const l = limiter({}, 3);
    const queued = [];
    for (let i = 0; i < 3; i++) queued.push(await enqueue(l, 1, `20000000000000000${i}`));
    expect(queued.map((q) => q.position)).toEqual([1, 2, 3]);
    const refused = await enqueue(l, 1, '200000000000000009').catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(LimitError);
    expect((refused as LimitError).refusal).toEqual({ kind: 'line', waiting: 3, cap: 3, waitSeconds: 80 });
    expect((refused as LimitError).message).toContain('The line is full: 3 requests are waiting and the cap is 3. The current wait is about 80 s');
    expect((await tdb.pool.query(`select count(*)::int as n from generation where user_id = '200000000000000009'`)).rows[0].n).toBe(0);

    await start(queued[0]!.generation.id);
    await expect(enqueue(l, 1, '200000000000000009')).resolves.toMatchObject({ position: 3 });
  });
});
