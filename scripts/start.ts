// npm start: every role (bot, scheduler, admin API) in one process, for a single machine.
import { loadConfigOrExit } from '#shared/config.ts';
import { limiterSettingsFrom } from '#shared/limits/settings.ts';
import { createPool } from '#shared/db/pool.ts';
import { createLogger } from '#shared/logging.ts';
import { guardStartup, startupContextFrom } from '#shared/startup-errors.ts';
import { guardProcess, stopOnSignals } from '#shared/shutdown.ts';
import { startBoss } from '#shared/queue/boss.ts';
import { startBot } from '#bot/start-bot.ts';
import { startScheduler } from '#scheduler/start-scheduler.ts';
import { startAdminApi } from '#admin/start.ts';
import { createOrm } from '#shared/db/orm.ts';
import { asDb } from '#shared/db/pool.ts';
import { imageLinksFromConfig } from '#shared/images/image-links.ts';
import { imageInputFrom } from '#bot/images/image-input.ts';
import { openStorage } from '#shared/storage/create-storage.ts';

const config = loadConfigOrExit('start');
const logger = createLogger({ level: config.LOG_LEVEL, name: 'genonaut' });
const startupGuard = guardStartup(logger, startupContextFrom(config));

const storage = await openStorage(config);
const scheduler = await startScheduler({ config, logger: logger.child({ role: 'scheduler' }), storage });
// The bot answers nothing useful until models are known, so on a fresh database it waits for the
// first discovery pass, but only so long: an unreachable ComfyUI must not keep the bot offline.
const discoveryWaitMs = config.STARTUP_DISCOVERY_WAIT_SECONDS * 1000;
if (!(await settlesWithin(scheduler.firstDiscovery, discoveryWaitMs))) {
  logger.warn({ waitedMs: discoveryWaitMs }, 'model discovery is still running; starting the bot anyway (it says models are being discovered until then)');
}
const pool = createPool(config.DATABASE_URL);
const producer = await startBoss(config.DATABASE_URL, { supervise: false, logger, max: 4 });
const bot = await startBot({
  token: config.DISCORD_TOKEN,
  applicationId: config.DISCORD_APPLICATION_ID,
  apiBase: config.DISCORD_API_BASE,
  pool,
  boss: producer,
  logger: logger.child({ role: 'bot' }),
  limits: limiterSettingsFrom(config),
  imageInput: imageInputFrom(config),
  images: { storage, links: imageLinksFromConfig(config, asDb(pool)) },
  ...(config.BOT_METRICS_PORT ? { metricsListen: { host: config.METRICS_HOST, port: config.BOT_METRICS_PORT } } : {}),
});
const orm = await createOrm(config.DATABASE_URL);
const admin = await startAdminApi({
  db: asDb(pool),
  orm,
  adminToken: config.ADMIN_TOKEN,
  databaseUrl: config.DATABASE_URL,
  queue: { pool, boss: producer },
  logger: logger.child({ role: 'admin-api' }),
  images: { storage, links: imageLinksFromConfig(config, asDb(pool)), serve: config.S3_SERVE },
  host: config.ADMIN_HOST,
  port: config.ADMIN_PORT,
  modelsEnableNew: config.MODELS_ENABLE_NEW,
  corsOrigins: config.ADMIN_CORS_ORIGINS,
});
logger.info({ admin: admin.url }, 'genonaut started: bot, scheduler and admin API');

const shutdown = stopOnSignals(logger, async () => {
  await bot.stop();
  await admin.close();
  await orm.close();
  await producer.stop({ graceful: true, timeout: 5_000 });
  await scheduler.stop();
  await pool.end();
});
startupGuard();
guardProcess(logger, shutdown);

/** True when `work` settles within `ms`; the timer does not outlive the answer. */
async function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([work.then(() => true, () => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
