import type { TestProject } from 'vitest/node';
import pg from 'pg';
import { migrate } from '#shared/db/migrate.ts';
import { adminDatabaseUrl, databaseUrl, dropDatabase, uniqueName, withAdminClient } from './db.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    templateDatabase: string;
  }
}

/**
 * Once per test run: check Postgres is there (fail loudly, never skip), create a migrated
 * template database; each test file clones it (see testDatabase.ts). All are dropped afterwards.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  try {
    await withAdminClient((c) => c.query('select 1'));
  } catch (err) {
    throw new Error(
      `PostgreSQL is not reachable at ${adminDatabaseUrl.replace(/:[^:@/]*@/, ':***@')} (${(err as Error).message}).\n` +
        `Start it (e.g. \`pg_ctlcluster --skip-systemctl-redirect 15 main start\`) or set TEST_DATABASE_ADMIN_URL. The suite does not run without it.`,
      { cause: err },
    );
  }
  const template = uniqueName('gn_test_tpl');
  await withAdminClient((c) => c.query(`create database ${pg.escapeIdentifier(template)}`));
  await migrate(databaseUrl(template));
  project.provide('templateDatabase', template);

  return async () => {
    const prefix = template.replace('_tpl_', '_');
    const names = await withAdminClient(async (c) => {
      const { rows } = await c.query<{ datname: string }>(`select datname from pg_database where datname like $1`, [`${prefix}%`]);
      return rows.map((r) => r.datname);
    });
    for (const name of names) await dropDatabase(name);
    await dropDatabase(template);
  };
}
