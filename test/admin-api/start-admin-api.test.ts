import type { MikroORM } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startAdminApi } from '#admin/start.ts';
import { createOrm } from '#shared/db/orm.ts';
import { asDb } from '#shared/db/pool.ts';
import { createLogger } from '#shared/logging.ts';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.ts';
import { adminToken, testImages } from './harness.ts';

let tdb: TestDatabase;
let orm: MikroORM;

beforeAll(async () => {
  tdb = await createTestDatabase();
  orm = await createOrm(tdb.url);
});
afterAll(async () => {
  await orm?.close();
  await tdb?.drop();
});

test('startAdminApi listens on loopback, serves requests and closes, leaving the pool usable', async () => {
  const api = await startAdminApi({ db: asDb(tdb.pool), orm, adminToken, logger: createLogger({ level: 'silent' }), images: testImages(asDb(tdb.pool)), host: '127.0.0.1', port: 0 });
  expect(api.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect((await fetch(`${api.url}/healthz`)).status).toBe(200);
  const models = await fetch(`${api.url}/api/v1/models`, { headers: { authorization: `Bearer ${adminToken}` } });
  expect(await models.json()).toEqual({ items: [], nextCursor: null });
  await Promise.all([api.close(), api.close()]);
  await expect(fetch(`${api.url}/healthz`)).rejects.toThrow();
  expect((await tdb.pool.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
});
