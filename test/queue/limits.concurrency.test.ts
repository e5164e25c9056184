import type pg from 'pg';
import type { PgBoss } from 'pg-boss';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { createPool } from '#shared/db/pool.ts';
import { enqueueGeneration } from '#shared/generation/enqueue.ts';
import { GenerationEnqueuer } from '#shared/generation/enqueuer.ts';
import { LimitError } from '#shared/limits/limit-error.ts';
import { Limiter } from '#shared/limits/limiter.ts';
import { noLimits, type Limits } from '#shared/limits/policy.ts';
import { startBoss } from '#shared/queue/boss.ts';
import { generationInput } from '../support/generation-fixture.ts';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.ts';

let tdb: TestDatabase;
let boss: PgBoss;
// 50 connections: every one of 50 concurrent requests runs its transaction on its own.
let wide: pg.Pool;

beforeAll(async () => {
  tdb = await createTestDatabase();
  boss = await startBoss(tdb.url, { supervise: false });
  wide = createPool(tdb.url, { max: 50 });
});
afterAll(async () => {
  await wide.end();
  await boss.stop({ graceful: false });
  await tdb.drop();
});
beforeEach(async () => {
  await tdb.pool.query('truncate generation cascade');
  await tdb.pool.query('truncate user_usage, queue_waiting, limit_policy');
  await tdb.pool.query(`delete from pgboss.job where name = 'generate'`);
});

const user = (i: number) => `1000000000000${String(i).padStart(5, '0')}`;
const limiter = (l: Partial<Limits>) => new Limiter({ defaults: { ...noLimits, ...l }, maxWaiting: 0 });

async function outcome(results: PromiseSettledResult<unknown>[]) {
  const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  for (const r of refused) expect(r.reason).toBeInstanceOf(LimitError);
  const { rows } = await tdb.pool.query<{ user_id: string; rows: number; jobs: number }>(
    `select g.user_id, count(*)::int as rows, count(j.id)::int as jobs from generation g
     left join pgboss.job j on j.name = 'generate' and j.data->>'generationId' = g.id::text group by g.user_id order by g.user_id`,
  );
  return { admitted: results.length - refused.length, refused, perUser: rows };
}

async function connectionsUsed(): Promise<number> {
  const { rows } = await tdb.pool.query(`select count(*)::int as n from pg_stat_activity where datname = current_database()`);
  return rows[0].n;
}

describe('50 parallel requests, each on its own connection', () => {
  test('one user, 7 images per minute: exactly 7 admitted, 7 rows and jobs, 43 refused naming the limit', async () => {
    const l = limiter({ perMinute: 7 });
    const results = await Promise.allSettled(Array.from({ length: 50 }, () => enqueueGeneration(wide, boss, generationInput({ userId: user(1) }), { limiter: l })));
    expect(await connectionsUsed()).toBeGreaterThanOrEqual(25);
    const { admitted, refused, perUser } = await outcome(results);
    expect(admitted).toBe(7);
    expect(perUser).toEqual([{ user_id: user(1), rows: 7, jobs: 7 }]);
    expect(refused).toHaveLength(43);
    for (const r of refused) expect((r.reason as LimitError).refusal).toMatchObject({ kind: 'window', window: 'minute', used: 7, limit: 7 });
    const usage = await tdb.pool.query(`select minute_count, active from user_usage`);
    expect(usage.rows).toEqual([{ minute_count: 7, active: 7 }]);
  });

  test('caps from a user policy row (read beside the transaction): exactly 4 admitted alone, 4 more through the enqueuer; counted once each', async () => {
    await tdb.pool.query(`insert into limit_policy (scope, guild_id, subject_id, max_active) values ('user', '', $1, 4)`, [user(3)]);
    const l = limiter({});
    const alone = await Promise.allSettled(Array.from({ length: 50 }, () => enqueueGeneration(wide, boss, generationInput({ userId: user(3) }), { limiter: l })));
    expect((await outcome(alone)).admitted).toBe(4);
    await tdb.pool.query(`update limit_policy set max_active = 8 where subject_id = $1`, [user(3)]);
    const enqueuer = new GenerationEnqueuer(wide, boss, { limiter: l, maxInFlight: 4, maxBatch: 10 });
    const batched = await Promise.allSettled(Array.from({ length: 50 }, () => enqueuer.enqueue(generationInput({ userId: user(3) }))));
    const { admitted, perUser } = await outcome(batched);
    expect(admitted).toBe(4);
    expect(perUser).toEqual([{ user_id: user(3), rows: 8, jobs: 8 }]);
    const { rows } = await tdb.pool.query(`select (select active from user_usage) as active, (select sum(waiting)::int from queue_waiting) as waiting`);
    expect(rows[0]).toEqual({ active: 8, waiting: 8 });
  });

  test('one user, 5 at once: exactly 5 admitted; the fair priorities are 0 … -4', async () => {
    const l = limiter({ maxActive: 5 });
    const results = await Promise.allSettled(Array.from({ length: 50 }, () => enqueueGeneration(wide, boss, generationInput({ userId: user(2) }), { limiter: l })));
    const { admitted } = await outcome(results);
    expect(admitted).toBe(5);
    const { rows } = await tdb.pool.query(`select priority from pgboss.job where name = 'generate' order by priority desc`);
    expect(rows.map((r) => r.priority)).toEqual([0, -1, -2, -3, -4]);
  });

  test('50 users, 3 requests each, 2 images per minute: exactly 2 admitted per user', async () => {
    const l = limiter({ perMinute: 2 });
    const calls = Array.from({ length: 150 }, (_, i) => enqueueGeneration(wide, boss, generationInput({ userId: user(100 + (i % 50)) }), { limiter: l }));
    const { admitted, perUser } = await outcome(await Promise.allSettled(calls));
    expect(admitted).toBe(100);
    expect(perUser).toHaveLength(50);
    expect(perUser.every((u) => u.rows === 2 && u.jobs === 2)).toBe(true);
  });

  test('through the batching enqueuer (shared transactions): one user still gets exactly the limit; refusals do not fail the others', async () => {
    const l = limiter({ perMinute: 3 });
    const enqueuer = new GenerationEnqueuer(wide, boss, { limiter: l, maxInFlight: 4, maxBatch: 10 });
    const inputs = Array.from({ length: 50 }, (_, i) => generationInput({ userId: i % 2 ? user(300 + i) : user(299) }));
    const results = await Promise.allSettled(inputs.map((g) => enqueuer.enqueue(g)));
    const { admitted, refused, perUser } = await outcome(results);
    expect(refused).toHaveLength(22);
    expect(admitted).toBe(28);
    expect(perUser.find((u) => u.user_id === user(299))).toEqual({ user_id: user(299), rows: 3, jobs: 3 });
    expect(results.filter((r, i) => i % 2 === 1).every((r) => r.status === 'fulfilled')).toBe(true);
  });
});

describe('the waiting counter', () => {
  test('follows the line exactly after a concurrent burst: the sum of its shards equals the queued rows', async () => {
    const results = await Promise.allSettled(Array.from({ length: 80 }, (_, i) => enqueueGeneration(wide, boss, generationInput({ userId: user(400 + (i % 8)) }))));
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    const { rows } = await tdb.pool.query(
      `select (select sum(waiting)::int from queue_waiting) as counted, (select count(*)::int from generation where status = 'queued') as queued,
        (select count(*)::int from queue_waiting where waiting <> 0) as shards`,
    );
    expect(rows[0].counted).toBe(80);
    expect(rows[0].queued).toBe(80);
    expect(rows[0].shards).toBeGreaterThan(1);
  });
});
