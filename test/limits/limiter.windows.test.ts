import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { asDb, withTransaction } from '#shared/db/pool.ts';
import { pruneIdleUsage } from '#shared/limits/counters.ts';
import { Limiter, type LimitRequest } from '#shared/limits/limiter.ts';
import { noLimits, type Limits } from '#shared/limits/policy.ts';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.ts';

let tdb: TestDatabase;
let clock: Date;

beforeAll(async () => {
  tdb = await createTestDatabase();
});
afterAll(async () => {
  await tdb.drop();
});
beforeEach(async () => {
  await tdb.pool.query('truncate user_usage, queue_waiting, limit_policy');
});

const U = '100000000000000001';
const G = '900000000000000001';
const request = (overrides: Partial<LimitRequest> = {}): LimitRequest => ({ userId: U, guildId: G, roleIds: [], images: 1, steps: 20, width: 512, height: 512, ...overrides });
const limiter = (defaults: Partial<Limits>, maxWaiting = 0) => new Limiter({ defaults: { ...noLimits, ...defaults }, maxWaiting }, () => clock);
const admit = (l: Limiter, r: LimitRequest = request()) => withTransaction(tdb.pool, async (db) => (await l.admit(db, [r]))[0]!);
const at = (iso: string) => (clock = new Date(iso));

async function admitted(l: Limiter, n: number, r?: LimitRequest): Promise<number> {
  let ok = 0;
  for (let i = 0; i < n; i++) if ((await admit(l, r)).ok) ok++;
  return ok;
}

describe('fixed windows on the injected clock', () => {
  const cases = [
    { window: 'minute', limits: { perMinute: 3 }, first: '2026-12-01T12:00:00.000Z', last: '2026-12-01T12:00:59.999Z', next: '2026-12-01T12:01:00.000Z' },
    { window: 'hour', limits: { perHour: 3 }, first: '2026-12-01T12:00:00.000Z', last: '2026-12-01T12:59:59.999Z', next: '2026-12-01T13:00:00.000Z' },
    { window: 'day', limits: { perDay: 3 }, first: '2026-12-01T00:00:00.000Z', last: '2026-12-01T23:59:59.999Z', next: '2026-12-02T00:00:00.000Z' },
  ] as const;

  for (const c of cases) {
    test(`per ${c.window}: full until the last millisecond of the window, room again at its first`, async () => {
      const l = limiter(c.limits);
      at(c.first);
      expect(await admitted(l, 3)).toBe(3);
      at(c.last);
      const refused = await admit(l);
      expect(refused).toEqual({ ok: false, now: clock, refusal: { kind: 'window', window: c.window, used: 3, limit: 3, requested: 1, freesAt: new Date(c.next) } });
      at(c.next);
      const again = await admit(l);
      expect(again).toMatchObject({ ok: true, chargedAt: new Date(c.next) });
    });
  }

  test('windows count images (a batch of 3 is 3), and each window keeps its own count', async () => {
    const l = limiter({ perMinute: 4, perHour: 6 });
    at('2026-12-01T12:00:10Z');
    expect(await admit(l, request({ images: 3 }))).toMatchObject({ ok: true });
    expect(await admit(l, request({ images: 2 }))).toMatchObject({ ok: false, refusal: { kind: 'window', window: 'minute', used: 3, requested: 2 } });
    at('2026-12-01T12:01:00Z');
    expect(await admit(l, request({ images: 3 }))).toMatchObject({ ok: true });
    expect(await admit(l, request({ images: 1 }))).toMatchObject({ ok: false, refusal: { kind: 'window', window: 'hour', used: 6, limit: 6, freesAt: new Date('2026-12-01T13:00:00Z') } });
    const { rows } = await tdb.pool.query(`select minute_count, hour_count, day_count, active from user_usage where user_id = $1`, [U]);
    expect(rows[0]).toEqual({ minute_count: 3, hour_count: 6, day_count: 6, active: 2 });
  });

  test('requests at once: the cap counts active requests, not images', async () => {
    const l = limiter({ maxActive: 2 });
    at('2026-12-01T12:00:00Z');
    expect(await admit(l, request({ images: 4 }))).toMatchObject({ ok: true, activeBefore: 0 });
    expect(await admit(l, request({ images: 4 }))).toMatchObject({ ok: true, activeBefore: 1 });
    expect(await admit(l)).toMatchObject({ ok: false, refusal: { kind: 'active', active: 2, limit: 2 } });
  });

  test('a refused request consumes nothing; a rolled-back admission gives everything back', async () => {
    const l = limiter({ perMinute: 2 });
    at('2026-12-01T12:00:00Z');
    await admit(l);
    await admit(l);
    await admit(l);
    await withTransaction(tdb.pool, async (db) => {
      await l.admit(db, [request({ userId: '100000000000000002' })]);
      await db.executeSql('rollback');
    }).catch(() => {});
    const { rows } = await tdb.pool.query(`select user_id, minute_count, active from user_usage order by user_id`);
    expect(rows).toEqual([{ user_id: U, minute_count: 2, active: 2 }]);
  });

  test('pruning forgets only users with nothing active whose day is over', async () => {
    const l = limiter({});
    at('2026-12-01T23:00:00Z');
    await admit(l);
    await admit(l, request({ userId: '100000000000000002' }));
    await tdb.pool.query(`update user_usage set active = 0 where user_id = $1`, [U]);
    expect(await pruneIdleUsage(asDb(tdb.pool), new Date('2026-12-01T23:59:59Z'))).toBe(0);
    expect(await pruneIdleUsage(asDb(tdb.pool), new Date('2026-12-02T00:00:00Z'))).toBe(1);
    const { rows } = await tdb.pool.query(`select user_id from user_usage`);
    expect(rows).toEqual([{ user_id: '100000000000000002' }]);
  });
});

describe('policies from the database', () => {
  test('user over role over guild over global over configuration; the most generous of several roles', async () => {
    await tdb.pool.query(
      `insert into limit_policy (scope, guild_id, subject_id, per_minute, per_hour, max_batch, max_steps) values
        ('global', '', '', 1, 100, null, 10),
        ('guild', $1, '', 2, null, 2, null),
        ('role', $1, '800000000000000001', 5, null, 3, null),
        ('role', $1, '800000000000000002', 4, null, 0, null),
        ('user', '', $2, null, null, null, 30)`,
      [G, U],
    );
    const l = limiter({ perMinute: 9, maxBatch: 9, maxSteps: 9 });
    const [withRoles, plain, elsewhere, someoneElse] = await l.limitsFor(asDb(tdb.pool), [
      { userId: U, guildId: G, roleIds: ['800000000000000001', '800000000000000002'] },
      { userId: U, guildId: G, roleIds: [] },
      { userId: U, guildId: '900000000000000002', roleIds: ['800000000000000001'] },
      { userId: '100000000000000002', guildId: G, roleIds: [] },
    ]);
    expect(withRoles).toMatchObject({ perMinute: 5, perHour: 100, maxBatch: 0, maxSteps: 30 });
    expect(plain).toMatchObject({ perMinute: 2, perHour: 100, maxBatch: 2, maxSteps: 30 });
    expect(elsewhere).toMatchObject({ perMinute: 1, maxBatch: 9, maxSteps: 30 });
    expect(someoneElse).toMatchObject({ perMinute: 2, maxBatch: 2, maxSteps: 10 });
  });

  test('a blocked user is refused before anything is counted; batch, steps and pixels over policy likewise', async () => {
    await tdb.pool.query(`insert into limit_policy (scope, subject_id, blocked) values ('user', $1, true)`, [U]);
    await tdb.pool.query(`insert into limit_policy (scope, guild_id, max_batch, max_steps, max_pixels) values ('guild', $1, 2, 30, 262144)`, [G]);
    const l = limiter({});
    at('2026-12-01T12:00:00Z');
    expect(await admit(l)).toMatchObject({ ok: false, refusal: { kind: 'blocked' } });
    const other = '100000000000000002';
    expect(await admit(l, request({ userId: other, images: 3 }))).toMatchObject({ ok: false, refusal: { kind: 'batch', requested: 3, max: 2 } });
    expect(await admit(l, request({ userId: other, steps: 31 }))).toMatchObject({ ok: false, refusal: { kind: 'steps', requested: 31, max: 30 } });
    expect(await admit(l, request({ userId: other, width: 1024 }))).toMatchObject({ ok: false, refusal: { kind: 'pixels', width: 1024, height: 512, max: 262144 } });
    expect((await tdb.pool.query(`select count(*)::int as n from user_usage`)).rows[0].n).toBe(0);
  });

  test('the database refuses a policy row of the wrong shape or with a negative cap', async () => {
    await expect(tdb.pool.query(`insert into limit_policy (scope, guild_id, subject_id) values ('user', $1, $2)`, [G, U])).rejects.toThrow(/limit_policy_scope_shape_check/);
    await expect(tdb.pool.query(`insert into limit_policy (scope, per_day) values ('global', -1)`)).rejects.toThrow(/limit_policy_values_check/);
  });
});

describe('the database clock', () => {
  test('without an injected clock the windows follow the database: charged now, counted in the current UTC minute', async () => {
    const l = new Limiter({ defaults: { ...noLimits, perMinute: 5 }, maxWaiting: 0 });
    const result = await withTransaction(tdb.pool, async (db) => (await l.admit(db, [request()]))[0]!);
    const { rows } = await tdb.pool.query(`select now() as now, minute_start from user_usage where user_id = $1`, [U]);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(Math.abs(rows[0].now.getTime() - result.chargedAt.getTime())).toBeLessThan(5_000);
    expect(rows[0].minute_start.getTime()).toBe(Math.floor(result.chargedAt.getTime() / 60_000) * 60_000);
  });
});
