import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { Limiter } from '#shared/limits/limiter.ts';
import { noLimits } from '#shared/limits/policy.ts';
import { emptyPolicy, readPolicy, writePolicy, type PolicyScope } from '#shared/limits/policy-store.ts';
import { asDb } from '#shared/db/pool.ts';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.ts';

let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase();
});
afterAll(async () => {
  await tdb.drop();
});
beforeEach(async () => {
  await tdb.pool.query('truncate limit_policy, audit_log');
});

const guild: PolicyScope = { scope: 'guild', guildId: '300000000000000001', subjectId: '' };
const role: PolicyScope = { scope: 'role', guildId: '300000000000000001', subjectId: '300000000000000002' };
const audit = async () =>
  (await tdb.pool.query('select actor, action, entity, entity_id as "entityId", before, after from audit_log order by id')).rows;

describe('writePolicy', () => {
  test('creates, changes and clears a scope, each with an audit row (who, before, after)', async () => {
    const first = await writePolicy(tdb.pool, guild, { perMinute: 5, maxBatch: 2 }, 'discord:1');
    expect(first).toEqual({ before: null, after: { ...emptyPolicy, perMinute: 5, maxBatch: 2 } });
    const second = await writePolicy(tdb.pool, guild, { perMinute: 0, blocked: true }, 'discord:2');
    expect(second.after).toEqual({ ...emptyPolicy, perMinute: 0, maxBatch: 2, blocked: true });
    await writePolicy(tdb.pool, guild, { perMinute: null, maxBatch: null, blocked: null }, 'discord:3');
    expect(await readPolicy(asDb(tdb.pool), guild)).toBeNull();
    expect(await audit()).toEqual([
      { actor: 'discord:1', action: 'limits.set', entity: 'limit_policy', entityId: 'guild:300000000000000001', before: null, after: first.after },
      { actor: 'discord:2', action: 'limits.set', entity: 'limit_policy', entityId: 'guild:300000000000000001', before: first.after, after: second.after },
      { actor: 'discord:3', action: 'limits.set', entity: 'limit_policy', entityId: 'guild:300000000000000001', before: second.after, after: null },
    ]);
  });

  test('the limiter applies what was written (role over guild)', async () => {
    await writePolicy(tdb.pool, guild, { perDay: 10 }, 'discord:1');
    await writePolicy(tdb.pool, role, { perDay: 50 }, 'discord:1');
    const limiter = new Limiter({ defaults: noLimits, maxWaiting: 0 });
    const [withRole, without] = await limiter.limitsFor(asDb(tdb.pool), [
      { userId: '1', guildId: guild.guildId, roleIds: [role.subjectId] },
      { userId: '2', guildId: guild.guildId, roleIds: [] },
    ]);
    expect([withRole!.perDay, without!.perDay]).toEqual([50, 10]);
    expect((await audit()).map((r) => r.entityId)).toEqual(['guild:300000000000000001', 'role:300000000000000001:300000000000000002']);
  });

  test('a change whose audit row cannot be written is not applied', async () => {
    await writePolicy(tdb.pool, guild, { perMinute: 5 }, 'discord:1');
    // actor is varchar(100): the audit insert fails, so the whole change rolls back.
    await expect(writePolicy(tdb.pool, guild, { perMinute: 7 }, 'x'.repeat(101))).rejects.toThrow();
    expect((await readPolicy(asDb(tdb.pool), guild))?.perMinute).toBe(5);
    expect(await audit()).toHaveLength(1);
  });

  test('concurrent writers each see the value the other left (the row is locked): no lost before', async () => {
    await Promise.all(Array.from({ length: 8 }, (_, i) => writePolicy(tdb.pool, guild, { perHour: i + 1 }, `discord:${i}`)));
    const rows = await audit();
    expect(rows[0]!.before).toBeNull();
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.before).toEqual(rows[i - 1]!.after);
  });
});
