import type { PgBoss } from 'pg-boss';
import { afterAll, beforeAll, beforeEach, describe, expect, test, vi } from 'vitest';
import { GenerationEnqueuer } from '#shared/generation/enqueuer.ts';
import { startBoss } from '#shared/queue/boss.ts';
import { generationInput } from '../support/generation-fixture.ts';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.ts';

let tdb: TestDatabase;
let boss: PgBoss;

beforeAll(async () => {
  tdb = await createTestDatabase();
  boss = await startBoss(tdb.url, { supervise: false });
});
afterAll(async () => {
  await boss.stop({ graceful: false });
  await tdb.drop();
});
beforeEach(async () => {
  await tdb.pool.query(`truncate generation cascade`);
  await tdb.pool.query(`delete from pgboss.job where name = 'generate'`);
});

const user = (i: number) => `1000000000000${String(i).padStart(5, '0')}`;
const commits = async () => Number((await tdb.pool.query(`select xact_commit from pg_stat_database where datname = current_database()`)).rows[0].xact_commit);

describe('GenerationEnqueuer', () => {
  test('a burst of 100 shares a few transactions: 100 rows, 100 jobs with the queue policy', async () => {
    const enqueuer = new GenerationEnqueuer(tdb.pool, boss);
    const before = await commits();
    const inputs = Array.from({ length: 100 }, (_, i) => generationInput({ userId: user(i), seed: '18446744073709551615' }));
    const results = await Promise.all(inputs.map((g) => enqueuer.enqueue(g)));
    const after = await commits();
    // pg_stat counts every committed statement transaction; a per-request path alone needs ≥ 100.
    expect(after - before).toBeLessThan(60);
    // Two transactions in flight see each other's line only after commit: positions are close, not exact.
    expect(results.every((r) => r.position >= 1 && r.position <= 100)).toBe(true);
    expect(results.map((r) => r.generation.id)).toEqual(inputs.map((g) => g.id));
    expect(results.every((r) => r.generation.seed === '18446744073709551615')).toBe(true);
    const { rows } = await tdb.pool.query(
      `select j.id, j.retry_limit, j.dead_letter, j.heartbeat_seconds from pgboss.job j join generation g on g.id = (j.data->>'generationId')::uuid where j.name = 'generate'`,
    );
    expect(rows).toHaveLength(100);
    expect(new Set(rows.map((r) => r.id))).toEqual(new Set(results.map((r) => r.jobId)));
    expect(rows.every((r) => r.retry_limit === 3 && r.dead_letter === 'generate-dead' && r.heartbeat_seconds === 10)).toBe(true);
  });

  test("fair priority through the enqueuer: one user's k-th request gets -k", async () => {
    const enqueuer = new GenerationEnqueuer(tdb.pool, boss, { maxInFlight: 1 });
    const heavy = user(900);
    const inputs = [...Array.from({ length: 4 }, () => generationInput({ userId: heavy })), generationInput({ userId: user(901) })];
    const results = await Promise.all(inputs.map((g) => enqueuer.enqueue(g)));
    const { rows } = await tdb.pool.query<{ id: string; priority: number }>(`select id, priority from pgboss.job where name = 'generate'`);
    const priority = new Map(rows.map((r) => [r.id, r.priority]));
    expect(results.map((r) => priority.get(r.jobId))).toEqual([0, -1, -2, -3, 0]);
  });

  test("a user's second request of a burst goes in a later batch, so every batch is one statement", async () => {
    const enqueuer = new GenerationEnqueuer(tdb.pool, boss, { maxInFlight: 1 });
    const statements: string[] = [];
    const query = tdb.pool.query.bind(tdb.pool);
    const spy = vi.spyOn(tdb.pool, 'query').mockImplementation(((q: unknown, ...rest: unknown[]) => {
      if (typeof q === 'object' && q && 'name' in q && typeof q.name === 'string') statements.push(q.name);
      return (query as (...a: unknown[]) => unknown)(q, ...rest);
    }) as never);
    try {
      const inputs = [user(700), user(700), user(701), user(700)].map((u) => generationInput({ userId: u }));
      const results = await Promise.all(inputs.map((g) => enqueuer.enqueue(g)));
      const { rows } = await tdb.pool.query<{ id: string; priority: number; queue_priority: number }>(
        `select j.id, j.priority, g.queue_priority from pgboss.job j join generation g on g.id = (j.data->>'generationId')::uuid where j.name = 'generate'`,
      );
      const byJob = new Map(rows.map((r) => [r.id, r]));
      expect(results.map((r) => byJob.get(r.jobId)?.priority)).toEqual([0, -1, 0, -2]);
      expect(results.map((r) => byJob.get(r.jobId)?.queue_priority)).toEqual([0, -1, 0, -2]);
    } finally {
      spy.mockRestore();
    }
    // Three batches (user 700 three times), each one enqueue statement; no transaction of several.
    expect(statements.filter((n) => n.startsWith('generation.enqueue-'))).toHaveLength(3);
    expect(statements).not.toContain('limits.consume');
    expect(statements).not.toContain('generation.insert-joined');
  });

  test('one bad request in a shared transaction fails alone; the others are queued', async () => {
    const enqueuer = new GenerationEnqueuer(tdb.pool, boss, { maxInFlight: 1 });
    const inputs = Array.from({ length: 6 }, (_, i) => generationInput({ userId: user(i), ...(i === 3 ? { width: 0 } : {}) }));
    const settled = await Promise.allSettled(inputs.map((g) => enqueuer.enqueue(g)));
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect((settled[3] as PromiseRejectedResult).reason).toMatchObject({ code: 'validation_failed' });
    const { rows } = await tdb.pool.query(`select count(*)::int as n from pgboss.job where name = 'generate'`);
    expect(rows[0].n).toBe(5);
    expect((await tdb.pool.query(`select count(*)::int as n from generation`)).rows[0].n).toBe(5);
  });
});
