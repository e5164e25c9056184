import { beforeEach, describe, expect, test } from 'vitest';
import { setTimeout as delay } from 'node:timers/promises';
import { asDb } from '#shared/db/pool.ts';
import { lockFreeInstance } from '#shared/db/sql/slots.ts';
import { GenerationRepository } from '#shared/db/repositories/generation-repository.ts';
import { generationInput } from '../support/generation-fixture.ts';
import { errorOf, adminApiForFile } from './harness.ts';

const world = adminApiForFile();

interface InstanceJson {
  id: number;
  name: string;
  baseUrl: string;
  enabled: boolean;
  draining: boolean;
  state: string;
  maxQueueDepth: number;
  queueDepth: number;
  models: { kind: string; fileName: string }[];
}
interface AuditRow {
  action: string;
  actor: string;
  entity: string;
  entity_id: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

beforeEach(async () => {
  await world.tdb.pool.query('truncate audit_log, generation, model, comfy_instance restart identity cascade');
});

const auditRows = async () => (await world.tdb.pool.query<AuditRow>(`select * from audit_log where entity = 'comfy_instance' order by id`)).rows;

async function create(body: Record<string, unknown>): Promise<InstanceJson> {
  const res = await world.api.request('/api/v1/instances', { method: 'POST', json: body });
  expect(res.status, JSON.stringify(await res.clone().json())).toBe(201);
  return (await res.json()) as InstanceJson;
}

describe('/api/v1/instances', () => {
  test('create, get, patch, delete, each audited with the caller', async () => {
    const created = await create({ name: 'gpu-1', baseUrl: 'http://10.0.0.5:8188/' });
    expect(created).toMatchObject({ name: 'gpu-1', baseUrl: 'http://10.0.0.5:8188', enabled: true, draining: false, state: 'enabled', maxQueueDepth: 2, health: 'unknown', queueDepth: 0, models: [] });
    const got = await world.api.request(`/api/v1/instances/${created.id}`);
    expect(await got.json()).toEqual(created);

    const patched = await world.api.request(`/api/v1/instances/${created.id}`, { method: 'PATCH', json: { maxQueueDepth: 4, name: 'gpu-one' } });
    expect(patched.status).toBe(200);
    expect(await patched.json()).toMatchObject({ name: 'gpu-one', maxQueueDepth: 4 });

    const list = (await (await world.api.request('/api/v1/instances')).json()) as { items: InstanceJson[] };
    expect(list.items.map((i) => i.name)).toEqual(['gpu-one']);

    expect((await world.api.request(`/api/v1/instances/${created.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await world.api.request(`/api/v1/instances/${created.id}`)).status).toBe(404);

    const audit = await auditRows();
    expect(audit.map((r) => r.action)).toEqual(['instance.create', 'instance.update', 'instance.delete']);
    expect(audit.every((r) => r.actor === 'admin-token' && r.entity_id === String(created.id))).toBe(true);
    expect(audit[1]).toMatchObject({ before: { name: 'gpu-1', maxQueueDepth: 2 }, after: { name: 'gpu-one', maxQueueDepth: 4 } });
    expect(audit[2]).toMatchObject({ before: { name: 'gpu-one' }, after: null });
  });

  test('enable, disable and drain set the state, each audited', async () => {
    const { id } = await create({ name: 'gpu', baseUrl: 'http://gpu.local:8188' });
    const post = async (action: string) => {
      const res = await world.api.request(`/api/v1/instances/${id}/${action}`, { method: 'POST' });
      expect(res.status).toBe(200);
      return ((await res.json()) as InstanceJson).state;
    };
    expect(await post('drain')).toBe('draining');
    expect(await post('disable')).toBe('disabled');
    expect(await post('enable')).toBe('enabled');
    expect((await auditRows()).slice(1).map((r) => [r.action, r.before?.draining, r.after?.enabled, r.after?.draining])).toEqual([
      ['instance.drain', false, true, true],
      ['instance.disable', true, false, false],
      ['instance.enable', false, true, false],
    ]);
    expect((await world.api.request('/api/v1/instances/999/drain', { method: 'POST' })).status).toBe(404);
  });

  test('shows queue depth and the models discovery found there; refuses to delete while it runs work', async () => {
    const { id } = await create({ name: 'busy', baseUrl: 'http://busy.local:8188' });
    await world.tdb.pool.query(`insert into model (kind, file_name, display_name, instance_ids) values ('checkpoint', 'here.safetensors', 'here', $1::jsonb), ('lora', 'elsewhere.safetensors', 'x', '[999]')`, [JSON.stringify([id])]);
    const g = await new GenerationRepository(asDb(world.tdb.pool)).create(generationInput());
    await world.tdb.pool.query(`update generation set status = 'running', comfy_instance_id = $1, started_at = now() where id = $2`, [id, g.id]);
    const shown = (await (await world.api.request(`/api/v1/instances/${id}`)).json()) as InstanceJson;
    expect(shown).toMatchObject({ queueDepth: 1, models: [{ kind: 'checkpoint', fileName: 'here.safetensors' }] });

    const refused = await world.api.request(`/api/v1/instances/${id}`, { method: 'DELETE' });
    expect(refused.status).toBe(409);
    expect(await errorOf(refused)).toMatchObject({ code: 'conflict', details: { id, queueDepth: 1 } });
    expect((await world.api.request(`/api/v1/instances/${id}`)).status).toBe(200);
    expect((await auditRows()).map((r) => r.action)).toEqual(['instance.create']);
  });

  test('bad bodies, ids and duplicates are 4xx with field details and change nothing', async () => {
    const cases: [unknown, string[]][] = [
      [{}, ['baseUrl', 'name']],
      [{ name: 'x', baseUrl: 'ftp://x' }, ['baseUrl']],
      [{ name: 'x', baseUrl: 'not a url' }, ['baseUrl']],
      [{ name: '', baseUrl: 'http://x', maxQueueDepth: 0 }, ['maxQueueDepth', 'name']],
      [{ name: 'a\u0000b', baseUrl: 'http://x', maxQueueDepth: 101 }, ['maxQueueDepth', 'name']],
      [{ name: 'x'.repeat(101), baseUrl: 'http://x', auth: 'secret' }, ['body', 'name']],
      [[], ['body']],
    ];
    for (const [body, fields] of cases) {
      const res = await world.api.request('/api/v1/instances', { method: 'POST', json: body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      const error = await errorOf(res);
      expect(error.code).toBe('validation_failed');
      expect(Object.keys(error.details as object).sort(), JSON.stringify(body)).toEqual(fields);
    }
    const { id } = await create({ name: 'one', baseUrl: 'http://one:8188' });
    const dupName = await world.api.request('/api/v1/instances', { method: 'POST', json: { name: 'one', baseUrl: 'http://two:8188' } });
    expect(dupName.status).toBe(409);
    expect(await errorOf(dupName)).toMatchObject({ code: 'conflict', message: 'an instance with this name already exists' });
    const dupUrl = await world.api.request('/api/v1/instances', { method: 'POST', json: { name: 'two', baseUrl: 'http://one:8188/' } });
    expect(await errorOf(dupUrl)).toMatchObject({ code: 'conflict', message: 'an instance with this base URL already exists' });
    await create({ name: 'two', baseUrl: 'http://two:8188' });
    const clash = await world.api.request(`/api/v1/instances/${id}`, { method: 'PATCH', json: { baseUrl: 'http://two:8188' } });
    expect(clash.status).toBe(409);
    const empty = await world.api.request(`/api/v1/instances/${id}`, { method: 'PATCH', json: {} });
    expect(await errorOf(empty)).toMatchObject({ code: 'validation_failed', details: { body: ['expected at least one field to change'] } });
    expect((await world.api.request('/api/v1/instances/abc')).status).toBe(400);
    expect((await world.api.request('/api/v1/instances/1234567890')).status).toBe(400);
    expect((await auditRows()).map((r) => r.action)).toEqual(['instance.create', 'instance.create']);
  });

  test('a change waits for a placement under way, so none that read the old state lands after it', async () => {
    const { id } = await create({ name: 'placing', baseUrl: 'http://placing:8188' });
    const placement = await world.tdb.pool.connect();
    try {
      // A claim's first step, with a request waiting: it row-locks the instance it will fill.
      await new GenerationRepository(asDb(world.tdb.pool)).create(generationInput());
      await placement.query('begin');
      const { rows } = await placement.query(lockFreeInstance([]).text, lockFreeInstance([]).values);
      expect(rows).toEqual([{ id, free: 1, more_waiting: false }]);
      let settled = false;
      const drain = world.api.request(`/api/v1/instances/${id}/drain`, { method: 'POST' }).finally(() => (settled = true));
      await delay(400);
      expect(settled).toBe(false);
      await placement.query('commit');
      expect((await drain).status).toBe(200);
    } finally {
      placement.release();
    }
  });

  test('every route needs the token', async () => {
    const { id } = await create({ name: 'guarded', baseUrl: 'http://guarded:8188' });
    const calls: [string, string, unknown?][] = [
      ['GET', '/api/v1/instances'], ['GET', `/api/v1/instances/${id}`], ['POST', '/api/v1/instances', { name: 'x', baseUrl: 'http://x' }],
      ['PATCH', `/api/v1/instances/${id}`, { name: 'y' }], ['DELETE', `/api/v1/instances/${id}`],
      ['POST', `/api/v1/instances/${id}/enable`], ['POST', `/api/v1/instances/${id}/disable`], ['POST', `/api/v1/instances/${id}/drain`],
    ];
    for (const [method, path, json] of calls) {
      const res = await world.api.request(path, { method, json, token: null });
      expect(res.status, `${method} ${path}`).toBe(401);
    }
    expect((await auditRows()).map((r) => r.action)).toEqual(['instance.create']);
    expect((await world.tdb.pool.query('select name, enabled, draining from comfy_instance')).rows).toEqual([{ name: 'guarded', enabled: true, draining: false }]);
  });
});
