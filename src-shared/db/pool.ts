import pg from 'pg';
import { preparingClient, processStatementNames } from './preparing-client.ts';

/**
 * The one-method database port (pg-boss's IDatabase): anything that runs SQL with parameters.
 * `name` (optional) makes it a prepared statement, parsed and planned once per connection.
 */
export interface Db {
  executeSql<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[], name?: string): Promise<{ rows: R[]; rowCount: number | null }>;
}

export interface SqlStatement {
  text: string;
  values: unknown[];
  /** For hot statements with fixed text: run as a prepared statement of this name. */
  name?: string;
}

export function createPool(databaseUrl: string, opts: pg.PoolConfig = {}): pg.Pool {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 10, Client: preparingClient(processStatementNames), ...opts });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  return pool;
}

/**
 * Opens the pool's connections up to its max, all at once, and returns them to it idle. A pool
 * opens connections only when a query finds none idle: the first burst of work after a start would
 * open them one by one while it waits (a connection costs a TCP and authentication round trip or
 * more, and Postgres forks a backend for it).
 */
export async function openConnections(pool: pg.Pool): Promise<void> {
  // Idle connections are handed out first: checking out all but the busy ones opens the rest.
  const busy = pool.totalCount - pool.idleCount;
  const clients = await Promise.all(Array.from({ length: Math.max(0, (pool.options.max ?? 10) - busy) }, () => pool.connect()));
  for (const client of clients) client.release();
}

export function asDb(client: pg.Pool | pg.PoolClient | pg.Client): Db {
  return { executeSql: (text, values, name) => client.query(name ? { name, text, values } : { text, values }) as never };
}

/** Runs `fn` inside one transaction on one connection; rolls back on any error. */
export async function withTransaction<T>(pool: pg.Pool, fn: (db: Db, client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(asDb(client), client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
