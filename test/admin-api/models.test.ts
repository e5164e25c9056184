import { beforeEach, describe, expect, test } from 'vitest';
import { errorOf, adminApiForFile } from './harness.ts';

const world = adminApiForFile();

beforeEach(async () => {
  await world.tdb.pool.query('truncate model, audit_log');
});

interface ModelJson {
  id: number;
  kind: string;
  fileName: string;
  displayName: string;
  enabled: boolean;
  tags: string[];
  sizeBytes: string | null;
}

async function create(body: Record<string, unknown>): Promise<ModelJson> {
  const res = await world.api.request('/api/v1/models', { method: 'POST', json: body });
  expect(res.status).toBe(201);
  return (await res.json()) as ModelJson;
}

async function auditRows() {
  const { rows } = await world.tdb.pool.query<{ actor: string; action: string; entity: string; entity_id: string; before: ModelJson | null; after: ModelJson | null }>(
    'select actor, action, entity, entity_id, before, after from audit_log order by id',
  );
  return rows;
}

describe('/api/v1/models', () => {
  test('create, get, patch, delete, each with an audit row', async () => {
    const created = await create({ kind: 'checkpoint', fileName: 'sd_xl_base_1.0.safetensors', tags: ['base'], sizeBytes: '9007199254740993' });
    expect(created).toMatchObject({ kind: 'checkpoint', displayName: 'sd_xl_base_1.0', enabled: true, tags: ['base'], sizeBytes: '9007199254740993' });
    expect(created).toMatchObject({ baseFamily: null, defaultSteps: null, sha256: null, lastSeenAt: null });

    const got = await world.api.request(`/api/v1/models/${created.id}`);
    expect(got.status).toBe(200);
    expect(await got.json()).toMatchObject({ id: created.id, fileName: 'sd_xl_base_1.0.safetensors' });

    const patched = await world.api.request(`/api/v1/models/${created.id}`, { method: 'PATCH', json: { displayName: 'SDXL Base', nsfw: true } });
    expect(patched.status).toBe(200);
    expect(await patched.json()).toMatchObject({ displayName: 'SDXL Base', nsfw: true, tags: ['base'] });

    const deleted = await world.api.request(`/api/v1/models/${created.id}`, { method: 'DELETE' });
    expect(deleted.status).toBe(204);
    const gone = await world.api.request(`/api/v1/models/${created.id}`);
    expect(gone.status).toBe(404);
    expect(await errorOf(gone)).toMatchObject({ code: 'not_found', message: `model ${created.id} not found` });

    const audit = await auditRows();
    expect(audit.map((r) => r.action)).toEqual(['model.create', 'model.update', 'model.delete']);
    expect(audit.every((r) => r.actor === 'admin-token' && r.entity === 'model' && r.entity_id === String(created.id))).toBe(true);
    expect(audit[0]).toMatchObject({ before: null, after: { fileName: 'sd_xl_base_1.0.safetensors' } });
    expect(audit[1]).toMatchObject({ before: { displayName: 'sd_xl_base_1.0' }, after: { displayName: 'SDXL Base' } });
    expect(audit[2]).toMatchObject({ before: { displayName: 'SDXL Base' }, after: null });
  });

  test('a duplicate kind + file name is 409 duplicate_model and writes no audit row', async () => {
    await create({ kind: 'lora', fileName: 'detail.safetensors' });
    const res = await world.api.request('/api/v1/models', { method: 'POST', json: { kind: 'lora', fileName: 'detail.safetensors' } });
    expect(res.status).toBe(409);
    expect(await errorOf(res)).toMatchObject({ code: 'duplicate_model', message: 'a model of this kind with this file name already exists' });
    expect((await auditRows()).map((r) => r.action)).toEqual(['model.create']);
  });

  test('an invalid body is 400 validation_failed with details per field', async () => {
    const res = await world.api.request('/api/v1/models', {
      method: 'POST',
      json: { kind: 'unet', fileName: '', tags: ['ok', 5], defaultSteps: 0, surprise: true },
    });
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.code).toBe('validation_failed');
    expect(Object.keys(error.details as object).sort()).toEqual(['body', 'defaultSteps', 'fileName', 'kind', 'tags.1']);
    expect((error.details as Record<string, string[]>).body!.join()).toContain('surprise');
    expect(await auditRows()).toEqual([]);
  });

  test('an empty patch and a non-numeric id are rejected', async () => {
    const m = await create({ kind: 'vae', fileName: 'ae.safetensors' });
    const empty = await world.api.request(`/api/v1/models/${m.id}`, { method: 'PATCH', json: {} });
    expect(empty.status).toBe(400);
    expect(await errorOf(empty)).toMatchObject({ code: 'validation_failed', details: { body: ['expected at least one field to change'] } });
    const badId = await world.api.request('/api/v1/models/abc');
    expect(badId.status).toBe(400);
    expect(await errorOf(badId)).toMatchObject({ code: 'validation_failed', details: { id: ['expected a model id'] } });
  });

  test('enable and disable flip the flag and are audited', async () => {
    const m = await create({ kind: 'checkpoint', fileName: 'a.safetensors' });
    const off = await world.api.request(`/api/v1/models/${m.id}/disable`, { method: 'POST' });
    expect(off.status).toBe(200);
    expect(((await off.json()) as ModelJson).enabled).toBe(false);
    const on = await world.api.request(`/api/v1/models/${m.id}/enable`, { method: 'POST' });
    expect(((await on.json()) as ModelJson).enabled).toBe(true);
    const audit = await auditRows();
    expect(audit.slice(1).map((r) => [r.action, r.before?.enabled, r.after?.enabled])).toEqual([
      ['model.disable', true, false],
      ['model.enable', false, true],
    ]);
    const missing = await world.api.request('/api/v1/models/999999/enable', { method: 'POST' });
    expect(missing.status).toBe(404);
  });

  test('concurrent changes to one model leave an unbroken audit chain: each "before" is the previous "after"', async () => {
    const m = await create({ kind: 'checkpoint', fileName: 'busy.safetensors' });
    const names = Array.from({ length: 12 }, (_, i) => `name ${i}`);
    const answers = await Promise.all(names.map((displayName) => world.api.request(`/api/v1/models/${m.id}`, { method: 'PATCH', json: { displayName } })));
    expect(answers.map((r) => r.status)).toEqual(names.map(() => 200));
    const chain = (await auditRows()).map((r) => [r.before?.displayName ?? null, r.after?.displayName ?? null]);
    expect(chain).toHaveLength(names.length + 1);
    for (let i = 1; i < chain.length; i++) expect(chain[i]![0]).toBe(chain[i - 1]![1]);
    expect(chain.slice(1).map(([, after]) => after).sort()).toEqual([...names].sort());
  });

  test('list filters by kind, enabled and search, and pages by id cursor', async () => {
    const a = await create({ kind: 'checkpoint', fileName: 'alpha.safetensors' });
    const b = await create({ kind: 'checkpoint', fileName: 'beta.safetensors', enabled: false });
    const c = await create({ kind: 'checkpoint', fileName: 'gamma_alpha.safetensors' });
    await create({ kind: 'lora', fileName: 'alpha_lora.safetensors' });

    const list = async (qs: string) => {
      const res = await world.api.request(`/api/v1/models?${qs}`);
      expect(res.status).toBe(200);
      return (await res.json()) as { items: ModelJson[]; nextCursor: string | null };
    };
    expect((await list('kind=checkpoint&enabled=true')).items.map((m) => m.id)).toEqual([a.id, c.id]);
    expect((await list('kind=checkpoint&enabled=false')).items.map((m) => m.id)).toEqual([b.id]);
    expect((await list('search=ALPHA&kind=checkpoint')).items.map((m) => m.id)).toEqual([a.id, c.id]);

    const first = await list('kind=checkpoint&limit=2');
    expect(first.items.map((m) => m.id)).toEqual([a.id, b.id]);
    expect(first.nextCursor).toBe(String(b.id));
    const second = await list(`kind=checkpoint&limit=2&cursor=${first.nextCursor}`);
    expect(second).toEqual({ items: [expect.objectContaining({ id: c.id })], nextCursor: null });

    const bad = await world.api.request('/api/v1/models?limit=500&kind=unet&enabled=maybe');
    expect(bad.status).toBe(400);
    expect(Object.keys((await errorOf(bad)).details as object).sort()).toEqual(['enabled', 'kind', 'limit']);
  });
});
