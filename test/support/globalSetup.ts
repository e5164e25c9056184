import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import pg from 'pg';
import { migrate } from '#shared/db/migrate.ts';
import { adminDatabaseUrl, databaseUrl, dropDatabase, uniqueName, withAdminClient } from './db.ts';
import { stopLeftoverProcesses } from './leftover-processes.ts';
import { dropLeftoverDatabases, removeLeftoverTempFolders, RUN_TAG, RUN_TMP_PREFIX } from './leftovers.ts';

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
  // Leftovers of killed runs first: their processes (which hold the folders and connections), their
  // databases, their folders. Then one temp folder per run: TMPDIR is inherited by the test workers
  // and the processes they start, so every mkdtemp(os.tmpdir()…) lands in it, and a process a
  // killed run leaves behind is recognised by it.
  const systemTmp = tmpdir();
  const { stuck } = await stopLeftoverProcesses(systemTmp);
  for (const p of stuck) console.warn(`a killed test run left process ${p.pid} (${p.command}) that would not stop`);
  await dropLeftoverDatabases();
  await removeLeftoverTempFolders(systemTmp);
  const runTmp = mkdtempSync(path.join(systemTmp, `${RUN_TMP_PREFIX}${RUN_TAG}-`));
  chmodSync(runTmp, 0o755); // like /tmp: the demo test's embedded PostgreSQL runs as another user
  process.env.TMPDIR = runTmp;
  const template = uniqueName(`gn_test_tpl_${RUN_TAG}`);
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
    process.env.TMPDIR = systemTmp;
    rmSync(runTmp, { recursive: true, force: true });
  };
}
