import type { MikroORM } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { createOrm } from '#shared/db/orm.ts';
import { ModelRepository } from '#shared/db/repositories/model-repository.ts';
import { ErrorCode } from '#shared/errors.ts';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.ts';

let tdb: TestDatabase;
let orm: MikroORM;
let repo: ModelRepository;

beforeAll(async () => {
  tdb = await createTestDatabase();
  orm = await createOrm(tdb.url);
  repo = new ModelRepository(orm);
});
afterAll(async () => {
  await orm.close();
  await tdb.drop();
});
beforeEach(async () => {
  await tdb.pool.query('truncate model');
});

describe('ModelRepository', () => {
  test('remove also forgets which guilds switched the model off, and leaves other models\' switches', async () => {
    const [gone, kept] = [await repo.create({ kind: 'lora', fileName: 'gone.safetensors' }), await repo.create({ kind: 'lora', fileName: 'kept.safetensors' })];
    await tdb.pool.query(`insert into guild_model_disabled (guild_id, model_id) values ('1', $1), ('2', $1), ('1', $2)`, [gone.id, kept.id]);
    await repo.remove(gone.id);
    expect((await tdb.pool.query('select guild_id, model_id from guild_model_disabled')).rows).toEqual([{ guild_id: '1', model_id: kept.id }]);
  });

  test('create with defaults, read, update, delete', async () => {
    const m = await repo.create({ kind: 'checkpoint', fileName: 'sd_xl_base_1.0.safetensors', baseFamily: 'sdxl', defaultSteps: 30 });
    expect(m.id).toBeGreaterThan(0);
    expect(m.displayName).toBe('sd_xl_base_1.0');
    expect(m.enabled).toBe(true);
    expect(m.tags).toEqual([]);

    const updated = await repo.update(m.id, { displayName: 'SDXL Base', tags: ['base'], nsfw: true });
    expect(updated).toMatchObject({ displayName: 'SDXL Base', tags: ['base'], nsfw: true });
    expect(await repo.get(m.id)).toMatchObject({ displayName: 'SDXL Base', defaultSteps: 30 });

    await repo.setEnabled(m.id, false);
    expect((await repo.get(m.id)).enabled).toBe(false);

    await repo.remove(m.id);
    await expect(repo.get(m.id)).rejects.toMatchObject({ code: ErrorCode.NotFound });
    await expect(repo.remove(m.id)).rejects.toMatchObject({ code: ErrorCode.NotFound });
  });

  test('a duplicate file name of the same kind is a DuplicateModel error; another kind is fine', async () => {
    await repo.create({ kind: 'lora', fileName: 'detail.safetensors' });
    await expect(repo.create({ kind: 'lora', fileName: 'detail.safetensors' })).rejects.toMatchObject({
      code: ErrorCode.DuplicateModel,
      status: 409,
    });
    const other = await repo.create({ kind: 'checkpoint', fileName: 'detail.safetensors' });
    expect(other.kind).toBe('checkpoint');
    const lora2 = await repo.create({ kind: 'lora', fileName: 'other.safetensors' });
    await expect(repo.update(lora2.id, { fileName: 'detail.safetensors' })).rejects.toMatchObject({ code: ErrorCode.DuplicateModel });
  });

  test('sizes beyond 2^53 survive as strings', async () => {
    const m = await repo.create({ kind: 'checkpoint', fileName: 'huge.safetensors', sizeBytes: '9007199254740993' });
    expect((await repo.get(m.id)).sizeBytes).toBe('9007199254740993');
  });

  test('list filters and pages by id', async () => {
    for (let i = 0; i < 5; i++) await repo.create({ kind: 'lora', fileName: `lora_${i}.safetensors`, enabled: i % 2 === 0 });
    await repo.create({ kind: 'checkpoint', fileName: 'base.safetensors' });
    const enabledLoras = await repo.list({ kind: 'lora', enabled: true });
    expect(enabledLoras.items.map((m) => m.fileName)).toEqual(['lora_0.safetensors', 'lora_2.safetensors', 'lora_4.safetensors']);
    const search = await repo.list({ search: 'LORA_3' });
    expect(search.items.map((m) => m.fileName)).toEqual(['lora_3.safetensors']);
    const p1 = await repo.list({ kind: 'lora' }, { limit: 2 });
    const p2 = await repo.list({ kind: 'lora' }, { limit: 2, cursor: p1.nextCursor! });
    const p3 = await repo.list({ kind: 'lora' }, { limit: 2, cursor: p2.nextCursor! });
    expect([...p1.items, ...p2.items, ...p3.items].map((m) => m.fileName)).toHaveLength(5);
    expect(p3.nextCursor).toBeNull();
  });
});
