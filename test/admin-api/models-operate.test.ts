import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { asDb } from '#shared/db/pool.ts';
import { GenerationRepository } from '#shared/db/repositories/generation-repository.ts';
import { startComfySim, type ComfySim } from '#sim/comfyui/index.ts';
import { generationInput } from '../support/generation-fixture.ts';
import { errorOf, adminApiForFile } from './harness.ts';

const world = adminApiForFile();
let comfyA: ComfySim;
let comfyB: ComfySim;

interface ModelJson { id: number; fileName: string; enabled: boolean; available: boolean; instanceIds: number[]; tags: string[] }
interface AuditRow { action: string; actor: string; entity_id: string; before: Record<string, unknown> | null; after: Record<string, unknown> | null }

beforeAll(async () => {
  const none = { vae: [], embeddings: [] };
  comfyA = await startComfySim({ models: { ...none, checkpoints: ['base.safetensors', 'shared.safetensors'], loras: ['ink.safetensors'] } });
  comfyB = await startComfySim({ models: { ...none, checkpoints: ['shared.safetensors'], loras: [] } });
});
afterAll(async () => {
  await comfyA?.close();
  await comfyB?.close();
});

beforeEach(async () => {
  await world.tdb.pool.query('truncate audit_log, generation, model, comfy_instance restart identity cascade');
});

const auditRows = async (entity: string) => (await world.tdb.pool.query<AuditRow>(`select * from audit_log where entity = $1 order by id`, [entity])).rows;

async function insertModel(fileName: string, extra: { kind?: string; baseFamily?: string; tags?: string[]; instanceIds?: number[] } = {}): Promise<number> {
  const { rows } = await world.tdb.pool.query<{ id: number }>(
    `insert into model (kind, file_name, display_name, base_family, tags, instance_ids) values ($1, $2, $2, $3, $4::jsonb, $5::jsonb) returning id`,
    [extra.kind ?? 'checkpoint', fileName, extra.baseFamily ?? null, JSON.stringify(extra.tags ?? []), JSON.stringify(extra.instanceIds ?? [])],
  );
  return rows[0]!.id;
}

async function list(query: string): Promise<string[]> {
  const res = await world.api.request(`/api/v1/models?${query}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { items: ModelJson[] }).items.map((m) => m.fileName);
}

describe('list filters', () => {
  test('by base family, tag and instance, combined with AND', async () => {
    await insertModel('a.safetensors', { baseFamily: 'sdxl', tags: ['anime', 'fast'], instanceIds: [1] });
    await insertModel('b.safetensors', { baseFamily: 'sd15', tags: ['anime'], instanceIds: [1, 2] });
    await insertModel('c.safetensors', { baseFamily: 'sdxl', tags: [], instanceIds: [2] });
    expect(await list('baseFamily=sdxl')).toEqual(['a.safetensors', 'c.safetensors']);
    expect(await list('tag=anime')).toEqual(['a.safetensors', 'b.safetensors']);
    expect(await list('tag=ani')).toEqual([]);
    expect(await list('instanceId=2')).toEqual(['b.safetensors', 'c.safetensors']);
    expect(await list('tag=anime&instanceId=2&baseFamily=sd15')).toEqual(['b.safetensors']);
    // A tag that looks like JSON is only ever a value.
    expect(await list(`tag=${encodeURIComponent('"]},{"x')}`)).toEqual([]);
    const bad = await world.api.request('/api/v1/models?instanceId=abc');
    expect(bad.status).toBe(400);
    expect((await errorOf(bad)).details).toHaveProperty('instanceId');
  });
});

describe('bulk enable / disable', () => {
  test('changes every model in one transaction with one audit row each', async () => {
    const ids = [await insertModel('a.safetensors'), await insertModel('b.safetensors'), await insertModel('c.safetensors')];
    const res = await world.api.request('/api/v1/models/bulk', { method: 'POST', json: { ids: [ids[2], ids[0]], action: 'disable' } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { items: ModelJson[] };
    expect(body.items.map((m) => [m.id, m.enabled])).toEqual([[ids[0], false], [ids[2], false]]);
    expect(await list('enabled=true')).toEqual(['b.safetensors']);
    const audit = await auditRows('model');
    expect(audit.map((a) => [a.action, a.actor, a.entity_id, a.before?.enabled, a.after?.enabled])).toEqual([
      ['model.disable', 'admin-token', String(ids[0]), true, false],
      ['model.disable', 'admin-token', String(ids[2]), true, false],
    ]);
  });

  test('an unknown id changes nothing and is named', async () => {
    const id = await insertModel('a.safetensors');
    const res = await world.api.request('/api/v1/models/bulk', { method: 'POST', json: { ids: [id, 999], action: 'disable' } });
    expect(res.status).toBe(404);
    expect((await errorOf(res)).details).toEqual({ ids: [999] });
    expect(await list('enabled=true')).toEqual(['a.safetensors']);
    expect(await auditRows('model')).toEqual([]);
  });

  test.each([
    [{ ids: [], action: 'enable' }, 'ids'],
    [{ ids: [1, 1], action: 'enable' }, 'ids'],
    [{ ids: [1], action: 'delete' }, 'action'],
    [{ ids: ['1'], action: 'enable' }, 'ids.0'],
    [{ ids: [1], action: 'enable', extra: true }, 'body'],
  ])('refuses %j with 400 naming %s', async (json, field) => {
    const res = await world.api.request('/api/v1/models/bulk', { method: 'POST', json });
    expect(res.status).toBe(400);
    expect(Object.keys((await errorOf(res)).details as object)).toContain(field);
  });
});

describe('delete', () => {
  test('is refused with the blocking generations while queued or running work uses the model', async () => {
    const checkpoint = await insertModel('base.safetensors');
    const lora = await insertModel('ink.safetensors', { kind: 'lora' });
    const unused = await insertModel('unused.safetensors');
    const repo = new GenerationRepository(asDb(world.tdb.pool));
    const queued = await repo.create(generationInput({ checkpoint: 'base.safetensors' }));
    const running = await repo.create(generationInput({ checkpoint: 'other.safetensors', loras: [{ name: 'ink.safetensors', strengthModel: 1, strengthClip: 1 }] }));
    await repo.transition(running.id, 'running');
    const done = await repo.create(generationInput({ checkpoint: 'unused.safetensors' }));
    await repo.transition(done.id, 'running');
    await repo.transition(done.id, 'failed', { errorCode: 'x', errorMessage: 'x' });

    for (const [id, blocking] of [[checkpoint, [queued.id]], [lora, [running.id]]] as const) {
      const res = await world.api.request(`/api/v1/models/${id}`, { method: 'DELETE' });
      expect(res.status).toBe(409);
      expect((await errorOf(res)).details).toEqual({ id, generationIds: blocking });
    }
    expect(await auditRows('model')).toEqual([]);
    expect((await world.api.request(`/api/v1/models/${unused}`, { method: 'DELETE' })).status).toBe(204);

    await repo.transition(queued.id, 'cancelled');
    expect((await world.api.request(`/api/v1/models/${checkpoint}`, { method: 'DELETE' })).status).toBe(204);
    expect((await auditRows('model')).map((a) => a.action)).toEqual(['model.delete', 'model.delete']);
  });
});

describe('refresh', () => {
  test('runs discovery on every enabled instance now and answers what changed, per instance', async () => {
    await world.tdb.pool.query(`insert into comfy_instance (id, name, base_url) values (1, 'a', $1), (2, 'b', $2), (3, 'down', 'http://127.0.0.1:9')`, [comfyA.url, comfyB.url]);
    const first = await world.api.request('/api/v1/models/refresh', { method: 'POST' });
    expect(first.status).toBe(200);
    const body = (await first.json()) as {
      added: { fileName: string; instanceIds: number[] }[]; retired: unknown[];
      instances: { id: number; answered: boolean; error: string | null; gained: { fileName: string }[]; lost: unknown[] }[];
    };
    expect(body.added.map((m) => [m.fileName, m.instanceIds]).sort()).toEqual([['base.safetensors', [1]], ['ink.safetensors', [1]], ['shared.safetensors', [1, 2]]]);
    expect(body.retired).toEqual([]);
    const byId = new Map(body.instances.map((i) => [i.id, i]));
    expect(byId.get(1)!.gained.map((g) => g.fileName).sort()).toEqual(['base.safetensors', 'ink.safetensors', 'shared.safetensors']);
    expect(byId.get(2)!.gained.map((g) => g.fileName)).toEqual(['shared.safetensors']);
    expect(byId.get(3)).toMatchObject({ answered: false, gained: [], lost: [] });
    expect(byId.get(3)!.error).toEqual(expect.any(String));
    expect(await list('instanceId=2')).toEqual(['shared.safetensors']);

    comfyA.removeModel('checkpoints', 'base.safetensors');
    comfyA.removeModel('checkpoints', 'shared.safetensors');
    const second = (await (await world.api.request('/api/v1/models/refresh', { method: 'POST' })).json()) as Omit<typeof body, 'retired'> & { updated: { fileName: string }[]; retired: { fileName: string }[] };
    expect(second.added).toEqual([]);
    expect(second.retired.map((m) => m.fileName)).toEqual(['base.safetensors']);
    expect(second.updated.map((m) => m.fileName)).toEqual(['shared.safetensors']);
    expect(second.instances.find((i) => i.id === 1)!.lost.map((g) => (g as { fileName: string }).fileName).sort()).toEqual(['base.safetensors', 'shared.safetensors']);
    expect(await list('available=false')).toEqual(['base.safetensors']);

    // Each pass that changed something is one audit row, by the token; a pass with no change writes none.
    await world.api.request('/api/v1/models/refresh', { method: 'POST' });
    const audit = (await auditRows('model')).map((a) => [a.action, a.actor, a.entity_id, (a.after as { retired: number[] }).retired.length]);
    expect(audit).toEqual([['model.refresh', 'admin-token', null, 0], ['model.refresh', 'admin-token', null, 1]]);
  });
});

describe('generation delete', () => {
  const repo = () => new GenerationRepository(asDb(world.tdb.pool));

  test('a finished one is marked deleted and audited; again changes nothing', async () => {
    const g = await repo().create(generationInput());
    await repo().transition(g.id, 'running');
    await repo().transition(g.id, 'succeeded');
    expect((await world.api.request(`/api/v1/generations/${g.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await repo().get(g.id)).deletedAt).toBeInstanceOf(Date);
    expect((await world.api.request(`/api/v1/generations/${g.id}`, { method: 'DELETE' })).status).toBe(204);
    const audit = await auditRows('generation');
    expect(audit.map((a) => [a.action, a.actor, a.entity_id, a.before, a.after])).toEqual([
      ['generation.delete', 'admin-token', g.id, { status: 'succeeded', deleted: false }, { status: 'succeeded', deleted: true }],
    ]);
  });

  test('queued work is cancelled and deleted in one go; running work is asked to cancel', async () => {
    const queued = await repo().create(generationInput());
    const running = await repo().create(generationInput());
    await repo().transition(running.id, 'running');
    for (const g of [queued, running]) expect((await world.api.request(`/api/v1/generations/${g.id}`, { method: 'DELETE' })).status).toBe(204);
    expect(await repo().get(queued.id)).toMatchObject({ status: 'cancelled', deletedAt: expect.any(Date) });
    expect(await repo().get(running.id)).toMatchObject({ status: 'cancel_requested', deletedAt: expect.any(Date) });
    expect((await auditRows('generation')).map((a) => [a.entity_id, a.after])).toEqual([
      [queued.id, { status: 'cancelled', deleted: true }],
      [running.id, { status: 'cancel_requested', deleted: true }],
    ]);
  });

  test('an unknown id is 404, a malformed one 400', async () => {
    expect((await world.api.request('/api/v1/generations/00000000-0000-4000-8000-0000000000aa', { method: 'DELETE' })).status).toBe(404);
    expect((await world.api.request('/api/v1/generations/nope', { method: 'DELETE' })).status).toBe(400);
  });
});
