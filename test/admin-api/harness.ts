import { mkdtempSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import type { MikroORM } from '@mikro-orm/postgresql';
import { createAdminApp, type AdminAppDeps } from '#admin/app.ts';
import { createAdminServer } from '#admin/start.ts';
import { asDb, type Db } from '#shared/db/pool.ts';
import { ImageLinks } from '#shared/images/image-links.ts';
import { createLogger } from '#shared/logging.ts';
import { startBoss } from '#shared/queue/boss.ts';
import { LocalStorage } from '#shared/storage/local-storage.ts';
import { afterAll, beforeAll } from 'vitest';
import { createOrm } from '#shared/db/orm.ts';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.ts';

export const adminToken = 'test-admin-token-0123456789abcdef';

/** Image serving over an empty temporary storage folder, with links keyed from the database. */
export function testImages(db: Db): AdminAppDeps['images'] {
  return {
    storage: new LocalStorage(mkdtempSync(path.join(tmpdir(), 'gn-admin-images-'))),
    links: new ImageLinks({ db, ttlSeconds: 3600, baseUrl: 'http://127.0.0.1:8787' }),
  };
}

export interface ServedApp {
  url: string;
  /** Every log line the app wrote, parsed. */
  logs: Record<string, unknown>[];
  /** Everything the app wrote to its log, as written. */
  logText(): string;
  request(path: string, init?: RequestInit & { json?: unknown; token?: string | null }): Promise<Response>;
  close(): Promise<void>;
}

/**
 * Serves the app on a free loopback port with the server production uses. Given a test database
 * and no queue, it starts a pg-boss producer on it (as admin-api/main.ts does) and stops it on close;
 * `noQueue` leaves it out (a database that must stay without pg-boss).
 */
export async function serveApp(deps: Partial<AdminAppDeps> & { tdb?: TestDatabase; orm?: MikroORM; noQueue?: boolean }): Promise<ServedApp> {
  const logs: Record<string, unknown>[] = [];
  const written: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      written.push(chunk.toString('utf8'));
      logs.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  const { tdb, noQueue, ...rest } = deps;
  const db = rest.db ?? asDb(tdb!.pool);
  const ownBoss = !rest.queue && tdb && !noQueue ? await startBoss(tdb.url, { supervise: false }) : undefined;
  if (ownBoss) rest.queue = { pool: tdb!.pool, boss: ownBoss };
  const app = createAdminApp({
    db,
    orm: rest.orm!,
    adminToken,
    logger: createLogger({ level: 'debug', destination }),
    images: testImages(db),
    ...rest,
  });
  const server: Server = createAdminServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    logs,
    logText: () => written.join(''),
    request(path, init = {}) {
      const { json, token = adminToken, headers, ...rest2 } = init;
      const h = new Headers(headers);
      if (token !== null) h.set('authorization', `Bearer ${token}`);
      if (json !== undefined) h.set('content-type', 'application/json');
      return fetch(`${url}${path}`, { ...rest2, headers: h, body: json === undefined ? rest2.body : JSON.stringify(json) });
    },
    close: async () => {
      await new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
      await ownBoss?.stop({ graceful: false });
    },
  };
}

export interface AdminApiWorld {
  tdb: TestDatabase;
  orm: MikroORM;
  api: ServedApp;
}

/**
 * A fresh database, its ORM and the admin API served on it, for one test file: opened before its
 * tests (register further `beforeAll` hooks after this call), closed after them.
 */
export function adminApiForFile(): AdminApiWorld {
  const world = {} as AdminApiWorld;
  beforeAll(async () => {
    world.tdb = await createTestDatabase();
    world.orm = await createOrm(world.tdb.url);
    world.api = await serveApp({ tdb: world.tdb, orm: world.orm });
  });
  afterAll(async () => {
    await world.api?.close();
    await world.orm?.close();
    await world.tdb?.drop();
  });
  return world;
}

export interface ErrorJson {
  error: { code: string; message: string; details: unknown };
}

export async function errorOf(res: Response): Promise<ErrorJson['error']> {
  const body = (await res.json()) as ErrorJson;
  return body.error;
}
