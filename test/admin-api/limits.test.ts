import { beforeEach, describe, expect, test } from 'vitest';
import { asDb } from '#shared/db/pool.ts';
import { Limiter } from '#shared/limits/limiter.ts';
import { noLimits } from '#shared/limits/policy.ts';
import { errorOf, adminApiForFile } from './harness.ts';

const world = adminApiForFile();
const guild = '200000000000000001';
const role = '500000000000000001';
const user = '100000000000000001';

interface AuditRow { action: string; actor: string; entity: string; entity_id: string; before: unknown; after: unknown }

beforeEach(async () => {
  await world.tdb.pool.query('truncate audit_log, limit_policy restart identity');
});

const put = (path: string, json: unknown) => world.api.request(`/api/v1/limits/${path}`, { method: 'PUT', json });
const auditRows = async () => (await world.tdb.pool.query<AuditRow>(`select * from audit_log where entity = 'limit_policy' order by id`)).rows;
const nothing = { perMinute: null, perHour: null, perDay: null, maxActive: null, maxBatch: null, maxSteps: null, maxPixels: null, blocked: null };

describe('limit policies at every scope', () => {
  test('PUT stores the whole policy of a scope with an audit row; GET reads it back; the limiter applies it', async () => {
    const res = await put(`guilds/${guild}`, { perDay: 20, maxBatch: 2 });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ scope: 'guild', guildId: guild, subjectId: null, values: { ...nothing, perDay: 20, maxBatch: 2 }, before: nothing });
    expect((await put(`guilds/${guild}/roles/${role}`, { perDay: 50 })).status).toBe(200);
    expect((await put(`users/${user}`, { blocked: true })).status).toBe(200);
    expect((await put('global', { maxSteps: 40 })).status).toBe(200);

    // Replacing: what the body leaves out is no longer set.
    const again = await put(`guilds/${guild}`, { perDay: 30 });
    expect(await again.json()).toMatchObject({ values: { ...nothing, perDay: 30 }, before: { ...nothing, perDay: 20, maxBatch: 2 } });
    expect(await (await world.api.request(`/api/v1/limits/guilds/${guild}`)).json()).toEqual({ scope: 'guild', guildId: guild, subjectId: null, values: { ...nothing, perDay: 30 } });

    const list = (await (await world.api.request('/api/v1/limits')).json()) as { items: { scope: string; subjectId: string | null }[] };
    expect(list.items.map((i) => [i.scope, i.subjectId])).toEqual([['global', null], ['guild', null], ['role', role], ['user', user]]);

    // The same rows the limiter reads: the role's cap beats the guild's, global's steps apply.
    const limiter = new Limiter({ defaults: { ...noLimits, perDay: 5 }, maxWaiting: 0 });
    const [member, blocked] = await limiter.limitsFor(asDb(world.tdb.pool), [
      { userId: '100000000000000009', guildId: guild, roleIds: [role] },
      { userId: user, guildId: guild, roleIds: [] },
    ]);
    expect(member).toMatchObject({ perDay: 50, maxSteps: 40, blocked: false });
    expect(blocked).toMatchObject({ perDay: 30, blocked: true });

    const audit = await auditRows();
    expect(audit.map((a) => [a.action, a.actor, a.entity_id])).toEqual([
      ['limits.set', 'admin-token', `guild:${guild}`],
      ['limits.set', 'admin-token', `role:${guild}:${role}`],
      ['limits.set', 'admin-token', `user:${user}`],
      ['limits.set', 'admin-token', 'global'],
      ['limits.set', 'admin-token', `guild:${guild}`],
    ]);
    expect(audit[4]!.before).toEqual({ ...nothing, perDay: 20, maxBatch: 2 });
    expect(audit[4]!.after).toEqual({ ...nothing, perDay: 30 });
  });

  test('DELETE unsets every field of the scope, audited', async () => {
    await put(`users/${user}`, { perMinute: 1 });
    expect((await world.api.request(`/api/v1/limits/users/${user}`, { method: 'DELETE' })).status).toBe(204);
    expect(await (await world.api.request(`/api/v1/limits/users/${user}`)).json()).toMatchObject({ values: nothing });
    expect((await (await world.api.request('/api/v1/limits')).json()) as unknown).toEqual({ items: [] });
    const audit = await auditRows();
    expect(audit.at(-1)).toMatchObject({ actor: 'admin-token', before: { ...nothing, perMinute: 1 }, after: null });
  });

  test.each([
    ['global', { perDay: -1 }, 'perDay'],
    ['global', { perDay: 1.5 }, 'perDay'],
    ['global', { perDay: 100_000_001 }, 'perDay'],
    ['global', { perDay: '5' }, 'perDay'],
    ['global', { blocked: 'yes' }, 'blocked'],
    ['global', { perWeek: 1 }, 'body'],
    ['global', [1], 'body'],
    ['guilds/123', { perDay: 1 }, 'guildId'],
    [`guilds/${guild}/roles/${guild}`, { perDay: 1 }, 'roleId'],
    ['users/abc', { perDay: 1 }, 'userId'],
  ])('PUT %s %j is refused with 400 naming %s, and nothing is written', async (path, body, field) => {
    const res = await put(path, body);
    expect(res.status).toBe(400);
    expect(Object.keys((await errorOf(res)).details as object)).toContain(field);
    expect(await auditRows()).toEqual([]);
  });
});
