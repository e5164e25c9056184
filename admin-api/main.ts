import { loadConfigOrExit } from '#shared/config.ts';
import { createOrm } from '#shared/db/orm.ts';
import { asDb, createPool } from '#shared/db/pool.ts';
import { createLogger } from '#shared/logging.ts';
import { startAdminApi } from './start.ts';

const config = loadConfigOrExit('admin-api');
const logger = createLogger({ level: config.LOG_LEVEL, name: 'admin-api' });
const pool = createPool(config.DATABASE_URL);
const orm = await createOrm(config.DATABASE_URL);

const api = await startAdminApi({
  db: asDb(pool),
  orm,
  adminToken: config.ADMIN_TOKEN,
  logger,
  host: config.ADMIN_HOST,
  port: config.ADMIN_PORT,
});

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'admin api stopping');
  // A request that never finishes must not keep the process alive forever.
  const force = setTimeout(() => {
    logger.error('admin api did not stop within 10 s; exiting');
    process.exit(1);
  }, 10_000);
  force.unref();
  try {
    await api.close();
    await orm.close();
    await pool.end();
    logger.info('admin api stopped');
  } catch (err) {
    logger.error({ err }, 'admin api stopped with an error');
    process.exitCode = 1;
  }
}

process.once('SIGINT', () => void shutdown('SIGINT'));
process.once('SIGTERM', () => void shutdown('SIGTERM'));
