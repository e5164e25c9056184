import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { MikroORM } from '@mikro-orm/postgresql';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startAdminApi, type RunningAdminApi } from '#admin/start.ts';
import { createOrm } from '#shared/db/orm.ts';
import { asDb } from '#shared/db/pool.ts';
import { GenerationRepository } from '#shared/db/repositories/generation-repository.ts';
import { markGenerationDeleted } from '#shared/db/sql/generations.ts';
import { ImageLinks } from '#shared/images/image-links.ts';
import { createLogger } from '#shared/logging.ts';
import { generationPrefix, originalKey } from '#shared/storage/keys.ts';
import { LocalStorage } from '#shared/storage/local-storage.ts';
import { generationInput } from '../support/generation-fixture.ts';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.ts';

// The image route caches a generation's outputs for 30 s; a 🗑 or an erasure must still be seen at
// once (LISTEN generation_gone), also after the listening connection was cut and came back.

const token = 'gone-test-admin-token-0123456789';
let tdb: TestDatabase;
let orm: MikroORM;
let api: RunningAdminApi;
let storage: LocalStorage;
let repo: GenerationRepository;

beforeAll(async () => {
  tdb = await createTestDatabase();
  orm = await createOrm(tdb.url);
  storage = new LocalStorage(await mkdtemp(path.join(tmpdir(), 'gn-gone-')));
  const db = asDb(tdb.pool);
  repo = new GenerationRepository(db);
  api = await startAdminApi({
    db, orm, adminToken: token, logger: createLogger({ level: 'silent' }), host: '127.0.0.1', port: 0, databaseUrl: tdb.url,
    images: { storage, links: new ImageLinks({ db, ttlSeconds: 600, baseUrl: 'http://unused' }) },
  });
});
afterAll(async () => {
  await api?.close();
  await orm?.close();
  await tdb?.drop();
});

async function storedGeneration(): Promise<string> {
  const g = await repo.create(generationInput());
  const row = await repo.get(g.id);
  const png = await sharp({ create: { width: 32, height: 32, channels: 3, background: { r: 200, g: 20, b: 20 } } }).png().toBuffer();
  const put = await storage.put(originalKey(generationPrefix(row.userId, row.createdAt, row.id), 0), png);
  await repo.transition(g.id, 'running');
  await repo.transition(g.id, 'succeeded', { outputs: [{ index: 0, status: 'stored', path: put.key, bytes: put.bytes, sha256: put.sha256 }] });
  return g.id;
}

const status = async (id: string) => (await fetch(`${api.url}/images/${id}/0`, { headers: { authorization: `Bearer ${token}` } })).status;

describe('a deleted generation stops being served at once', () => {
  test('🗑 (deleted_at) answers 410 well within the cache lifetime; an erased row answers 404', async () => {
    const id = await storedGeneration();
    expect(await status(id)).toBe(200);
    expect(await status(id)).toBe(200); // now cached
    const { text, values } = markGenerationDeleted(id);
    await tdb.pool.query(text, values);
    await expect.poll(() => status(id), { timeout: 3_000, interval: 50 }).toBe(410);

    const erased = await storedGeneration();
    expect(await status(erased)).toBe(200);
    await tdb.pool.query('delete from generation where id = $1', [erased]);
    await expect.poll(() => status(erased), { timeout: 3_000, interval: 50 }).toBe(404);
  });

  test('after the LISTEN connection is cut, deletions are still seen at once (nothing cached until it listens again)', async () => {
    const id = await storedGeneration();
    expect(await status(id)).toBe(200);
    const cut = await tdb.pool.query(
      `select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and query ilike 'listen generation_gone%'`,
    );
    expect(cut.rowCount).toBe(1);
    const { text, values } = markGenerationDeleted(id);
    await tdb.pool.query(text, values);
    await expect.poll(() => status(id), { timeout: 3_000, interval: 50 }).toBe(410);
    // Listening again: the next deletion is seen too.
    await expect
      .poll(async () => (await tdb.pool.query(`select 1 from pg_stat_activity where datname = current_database() and query ilike 'listen generation_gone%'`)).rowCount, { timeout: 5_000 })
      .toBe(1);
    const next = await storedGeneration();
    expect(await status(next)).toBe(200);
    expect(await status(next)).toBe(200);
    await tdb.pool.query(markGenerationDeleted(next).text, [next]);
    await expect.poll(() => status(next), { timeout: 3_000, interval: 50 }).toBe(410);
  });
});
