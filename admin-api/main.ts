import { loadConfigOrExit } from '#shared/config.ts';
import { createOrm } from '#shared/db/orm.ts';
import { asDb, createPool } from '#shared/db/pool.ts';
import { startBoss } from '#shared/queue/boss.ts';
import { imageLinksFromConfig } from '#shared/images/image-links.ts';
import { probeDatabase } from '#shared/db/ensure-database.ts';
import { createLogger } from '#shared/logging.ts';
import { guardStartup, startupContextFrom } from '#shared/startup-errors.ts';
import { guardProcess, stopOnSignals } from '#shared/shutdown.ts';
import { openStorage } from '#shared/storage/create-storage.ts';
import { startAdminApi } from './start.ts';

const config = loadConfigOrExit('admin-api');
const logger = createLogger({ level: config.LOG_LEVEL, name: 'admin-api' });
const startupGuard = guardStartup(logger, startupContextFrom(config));
const pool = createPool(config.DATABASE_URL);
await probeDatabase(pool);
const storage = await openStorage(config);
const orm = await createOrm(config.DATABASE_URL);
// A producer only (no maintenance, no cron): the admin API cancels queued generate jobs the way the bot does.
const boss = await startBoss(config.DATABASE_URL, { logger, supervise: false });

const api = await startAdminApi({
  db: asDb(pool),
  orm,
  adminToken: config.ADMIN_TOKEN,
  databaseUrl: config.DATABASE_URL,
  queue: { pool, boss },
  logger,
  images: { storage, links: imageLinksFromConfig(config, asDb(pool)), serve: config.S3_SERVE },
  host: config.ADMIN_HOST,
  port: config.ADMIN_PORT,
  modelsEnableNew: config.MODELS_ENABLE_NEW,
  corsOrigins: config.ADMIN_CORS_ORIGINS,
});

startupGuard();
guardProcess(logger, stopOnSignals(logger, async () => {
  await api.close();
  await boss.stop({ graceful: true, timeout: 5_000 });
  await orm.close();
  await pool.end();
}, { forceAfterMs: 10_000 }));
