import { loadConfigOrExit } from '#shared/config.ts';
import { createLogger } from '#shared/logging.ts';
import { startScheduler } from './start-scheduler.ts';

const config = loadConfigOrExit('scheduler');
const logger = createLogger({ level: config.LOG_LEVEL, name: 'scheduler' });
const scheduler = await startScheduler({ config, logger });

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    logger.info({ signal }, 'stopping: finishing the jobs in hand');
    scheduler.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'stop failed');
        process.exit(1);
      },
    );
  });
}
