import { beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { errorOf, adminApiForFile } from './harness.ts';

const world = adminApiForFile();

beforeAll(async () => {
  // Test-only: a trigger that makes every audit insert fail for real, switched on per test.
  await world.tdb.pool.query(`create function refuse_audit() returns trigger language plpgsql as $$ begin raise exception 'audit log is unavailable'; end $$`);
  await world.tdb.pool.query(`create trigger refuse_audit before insert on audit_log for each row execute function refuse_audit()`);
  await world.tdb.pool.query('alter table audit_log disable trigger refuse_audit');
});
beforeEach(async () => {
  await world.tdb.pool.query('alter table audit_log disable trigger refuse_audit');
  await world.tdb.pool.query('truncate model, audit_log');
  world.api.logs.length = 0;
});

const breakAudit = () => world.tdb.pool.query('alter table audit_log enable trigger refuse_audit');

async function createModel(fileName: string): Promise<number> {
  const res = await world.api.request('/api/v1/models', { method: 'POST', json: { kind: 'checkpoint', fileName } });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: number }).id;
}

async function modelRows() {
  const { rows } = await world.tdb.pool.query<{ id: number; display_name: string; enabled: boolean }>('select id, display_name, enabled from model order by id');
  return rows;
}

/** The client is told the change was not applied, and the failure is logged with its cause. */
async function expectRefused(res: Response): Promise<void> {
  expect(res.status).toBe(500);
  expect(await errorOf(res)).toEqual({ code: 'internal', message: 'the change was not applied: its audit entry could not be written', details: null });
  const logged = world.api.logs.find((l) => l.msg === 'admin api request failed');
  expect(JSON.stringify(logged)).toContain('audit log is unavailable');
  expect((await world.tdb.pool.query('select 1 from audit_log')).rowCount).toBe(0);
}

describe('a change and its audit entry commit together', () => {
  test('create: no model without its audit row', async () => {
    await breakAudit();
    await expectRefused(await world.api.request('/api/v1/models', { method: 'POST', json: { kind: 'checkpoint', fileName: 'a.safetensors' } }));
    expect(await modelRows()).toEqual([]);
  });

  test('patch: the model keeps its old values', async () => {
    const id = await createModel('b.safetensors');
    await world.tdb.pool.query('truncate audit_log');
    await breakAudit();
    await expectRefused(await world.api.request(`/api/v1/models/${id}`, { method: 'PATCH', json: { displayName: 'Renamed' } }));
    expect(await modelRows()).toEqual([{ id, display_name: 'b', enabled: true }]);
  });

  test('delete: the model is still there', async () => {
    const id = await createModel('c.safetensors');
    await world.tdb.pool.query('truncate audit_log');
    await breakAudit();
    await expectRefused(await world.api.request(`/api/v1/models/${id}`, { method: 'DELETE' }));
    expect(await modelRows()).toEqual([{ id, display_name: 'c', enabled: true }]);
  });

  test('disable and enable: the flag does not move', async () => {
    const id = await createModel('d.safetensors');
    await world.tdb.pool.query('truncate audit_log');
    await breakAudit();
    await expectRefused(await world.api.request(`/api/v1/models/${id}/disable`, { method: 'POST' }));
    expect(await modelRows()).toEqual([{ id, display_name: 'd', enabled: true }]);
    await world.tdb.pool.query('alter table audit_log disable trigger refuse_audit');
    await world.tdb.pool.query('update model set enabled = false');
    await world.tdb.pool.query('truncate audit_log');
    await breakAudit();
    await expectRefused(await world.api.request(`/api/v1/models/${id}/enable`, { method: 'POST' }));
    expect(await modelRows()).toEqual([{ id, display_name: 'd', enabled: false }]);
  });

  test('with the audit log working again, the same change goes through with its row', async () => {
    const id = await createModel('e.safetensors');
    const res = await world.api.request(`/api/v1/models/${id}`, { method: 'PATCH', json: { displayName: 'Renamed' } });
    expect(res.status).toBe(200);
    const { rows } = await world.tdb.pool.query<{ action: string; before: { displayName: string }; after: { displayName: string } }>('select action, before, after from audit_log order by id');
    expect(rows.map((r) => [r.action, r.before?.displayName ?? null, r.after.displayName])).toEqual([
      ['model.create', null, 'e'],
      ['model.update', 'e', 'Renamed'],
    ]);
  });
});
