import pg from 'pg';
import { createOrm } from './orm.ts';

// Any fixed 64-bit number: serialises concurrent migrators across processes and machines.
const MIGRATION_LOCK_KEY = 726_354_198_113n;

export type MigrateDirection = 'up' | 'down';

export interface MigrateResult {
  applied: string[];
}

/**
 * Applies (or reverts the last) migration. Two processes starting at once is safe: the second
 * waits on an advisory lock, then finds nothing pending and carries on.
 */
export async function migrate(databaseUrl: string, direction: MigrateDirection = 'up', opts: { to?: string | 0 } = {}): Promise<MigrateResult> {
  const lock = new pg.Client({ connectionString: databaseUrl });
  await lock.connect();
  try {
    await lock.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY.toString()]);
    const orm = await createOrm(databaseUrl, { pool: { min: 0, max: 2 } });
    try {
      const migrations =
        direction === 'up'
          ? await orm.migrator.up(opts.to === undefined ? undefined : { to: opts.to })
          : await orm.migrator.down(opts.to === undefined ? undefined : { to: opts.to });
      return { applied: migrations.map((m) => m.name) };
    } finally {
      await orm.close();
    }
  } finally {
    await lock.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY.toString()]).catch(() => {});
    await lock.end();
  }
}

export async function createMigration(databaseUrl: string, name?: string): Promise<string> {
  const orm = await createOrm(databaseUrl, { pool: { min: 0, max: 2 } });
  try {
    const result = await orm.migrator.create(undefined, false, false, name);
    return result.fileName;
  } finally {
    await orm.close();
  }
}
