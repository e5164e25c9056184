import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** Where tests reach Postgres as a superuser; a fresh database per run is created under it. */
export const adminDatabaseUrl = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export function databaseUrl(name: string): string {
  const url = new URL(adminDatabaseUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function withAdminClient<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminDatabaseUrl, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

// A pool's end() resolves before its connections' Terminate messages reach the server, so a forced
// drop right after it can kill a connection that is still closing: its client then emits the FATAL
// (57P01) as an 'error' nobody listens to any more, an uncaught exception in the test process. Plain
// drops are tried first while such connections finish closing; force only after that.
const gracefulDropMs = 2000;
const objectInUse = '55006';

export async function dropDatabase(name: string): Promise<void> {
  const db = pg.escapeIdentifier(name);
  await withAdminClient(async (c) => {
    for (const deadline = Date.now() + gracefulDropMs; Date.now() < deadline; ) {
      try {
        await c.query(`drop database if exists ${db}`);
        return;
      } catch (err) {
        if ((err as { code?: string }).code !== objectInUse) throw err;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    await c.query(`drop database if exists ${db} with (force)`);
  });
}
