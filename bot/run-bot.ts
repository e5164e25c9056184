import { shardMetricsPort } from './shard-plan.ts';
import { loadConfigOrExit } from '#shared/config.ts';
import { limiterSettingsFrom } from '#shared/limits/settings.ts';
import { asDb, createPool, openConnections } from '#shared/db/pool.ts';
import { imageLinksFromConfig } from '#shared/images/image-links.ts';
import { openStorage } from '#shared/storage/create-storage.ts';
import { probeDatabase } from '#shared/db/ensure-database.ts';
import { createLogger } from '#shared/logging.ts';
import { describeStartupError, guardStartup, startupContextFrom } from '#shared/startup-errors.ts';
import { guardProcess, stopOnSignals } from '#shared/shutdown.ts';
import { startBoss } from '#shared/queue/boss.ts';
import { startBot } from './start-bot.ts';
import { imageInputFrom } from './images/image-input.ts';

const botPoolSize = 10;

/** The Discord gateway process (`npm run bot` runs it through bot/main.ts). Producer only; the scheduler does the work. */
export async function runBot(): Promise<void> {
  const config = loadConfigOrExit('bot');
  const logger = createLogger({ level: config.LOG_LEVEL, name: 'bot' });
  const startupGuard = guardStartup(logger, startupContextFrom(config));
  // Every connection opened before the first interaction can come, and kept (min = max): a burst of
  // /imagine right after start, or after a quiet spell, would otherwise open them while members wait.
  const pool = createPool(config.DATABASE_URL, { min: botPoolSize, max: botPoolSize, application_name: 'genonaut-bot' });
  await probeDatabase(pool);
  await openConnections(pool);
  const storage = await openStorage(config);
  const boss = await startBoss(config.DATABASE_URL, { supervise: false, logger, max: 4 });
  let bot;
  try {
    bot = await startBot({
      token: config.DISCORD_TOKEN,
      applicationId: config.DISCORD_APPLICATION_ID,
      apiBase: config.DISCORD_API_BASE,
      pool,
      boss,
      logger,
      limits: limiterSettingsFrom(config),
      imageInput: imageInputFrom(config),
      images: { storage, links: imageLinksFromConfig(config, asDb(pool)) },
      ...(config.BOT_METRICS_PORT ? { metricsListen: { host: config.METRICS_HOST, port: shardMetricsPort(config.BOT_METRICS_PORT, process.env.SHARDS) } } : {}),
    });
  } catch (err) {
    const line = describeStartupError(err, startupContextFrom(config));
    if (line) process.stderr.write(`bot: ${line}\n`);
    else logger.fatal({ err }, 'bot could not log in');
    await boss.stop({ graceful: false }).catch(() => {});
    await pool.end().catch(() => {});
    process.exit(1);
  }
  const running = bot;

  const shutdown = stopOnSignals(logger, async () => {
    await running.stop();
    await boss.stop({ graceful: true, timeout: 5_000 });
    await pool.end();
  }, { forceAfterMs: 10_000 });
  startupGuard();
  guardProcess(logger, shutdown);
}
