import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { migrate } from '#shared/db/migrate.ts';
import { databaseUrl, dropDatabase, uniqueName, withAdminClient } from '../support/db.ts';

const tables = ['abandoned_prompt', 'app_secret', 'audit_log', 'comfy_instance', 'generation', 'limit_policy', 'model', 'usage_counter'];

async function listTables(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ tablename: string }>(
      `select tablename from pg_tables where schemaname = 'public' and tablename <> 'mikro_orm_migrations' order by 1`,
    );
    return rows.map((r) => r.tablename);
  } finally {
    await client.end();
  }
}

describe('migrations', () => {
  const name = uniqueName('gn_migrations');
  const url = databaseUrl(name);

  beforeAll(async () => {
    await withAdminClient((c) => c.query(`create database ${pg.escapeIdentifier(name)}`));
  });
  afterAll(async () => {
    await dropDatabase(name);
  });

  test('up → down → up round trip leaves the full schema', async () => {
    const first = await migrate(url, 'up');
    expect(first.applied.length).toBeGreaterThan(0);
    expect(await listTables(url)).toEqual(tables);

    await migrate(url, 'down', { to: 0 });
    expect(await listTables(url)).toEqual([]);

    const again = await migrate(url, 'up');
    expect(again.applied).toEqual(first.applied);
    expect(await listTables(url)).toEqual(tables);
  });

  test('two processes migrating at once: one applies, the other finds nothing to do', async () => {
    await migrate(url, 'down', { to: 0 });
    const [a, b] = await Promise.all([migrate(url, 'up'), migrate(url, 'up')]);
    expect([a.applied.length > 0, b.applied.length > 0].sort()).toEqual([false, true]);
    expect(await listTables(url)).toEqual(tables);
  });
});
