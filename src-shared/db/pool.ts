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
