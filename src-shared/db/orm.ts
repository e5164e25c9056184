import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Migrator } from '@mikro-orm/migrations';
import { MikroORM, type Options } from '@mikro-orm/postgresql';
import { entities } from './entities/index.ts';
import { sessionSettings } from './preparing-client.ts';

export const migrationsDir = fileURLToPath(new URL('../../migrations/', import.meta.url));

/** Migrations are imported explicitly so they run under Node's own TypeScript support. */
async function loadMigrations() {
  const files = (await readdir(migrationsDir)).filter((f) => /^Migration\d+.*\.ts$/.test(f)).sort();
  return Promise.all(
    files.map(async (file) => {
      const mod = (await import(pathToFileURL(path.join(migrationsDir, file)).href)) as Record<string, unknown>;
      const name = path.basename(file, '.ts');
      const cls = mod[name];
      if (typeof cls !== 'function') throw new Error(`migration ${file} must export class ${name}`);
      return { name, class: cls as never };
    }),
  );
}

/** What MikroORM hands `onCreateConnection`: kysely's connection, whose queries are `{ sql, parameters }`. */
interface NewConnection {
  executeQuery(query: { sql: string; parameters: readonly unknown[] }): Promise<unknown>;
}

export async function ormOptions(databaseUrl: string, extra: Partial<Options> = {}): Promise<Options> {
  return {
    clientUrl: databaseUrl,
    entities,
    extensions: [Migrator],
    discovery: { warnWhenNoEntities: true },
    allowGlobalContext: false,
    migrations: {
      path: migrationsDir,
      pathTs: migrationsDir,
      tableName: 'mikro_orm_migrations',
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      silent: true,
      emit: 'ts',
      migrationsList: await loadMigrations(),
    },
    pool: { min: 0, max: 10 },
    // Each connection starts as our pools' do (see sessionSettings).
    onCreateConnection: async (connection: unknown) => {
      await (connection as NewConnection).executeQuery({ sql: sessionSettings, parameters: [] });
    },
    ...extra,
  };
}

export async function createOrm(databaseUrl: string, extra: Partial<Options> = {}): Promise<MikroORM> {
  return MikroORM.init(await ormOptions(databaseUrl, extra));
}
