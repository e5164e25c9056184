import type { Logger } from './logging.ts';

/**
 * On SIGINT/SIGTERM: run `stop` once (finish work in hand, close connections), then exit. A stop
 * that hangs (a request that never ends) must not keep the process alive: exit after `forceAfterMs`.
 */
export function stopOnSignals(logger: Logger, stop: () => Promise<void>, { forceAfterMs = 15_000 } = {}): void {
  let stopping = false;
  const shutdown = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    setTimeout(() => {
      logger.error(`did not stop within ${forceAfterMs} ms; exiting`);
      process.exit(1);
    }, forceAfterMs).unref();
    try {
      await stop();
      logger.info('stopped');
    } catch (err) {
      logger.error({ err }, 'error while stopping');
      process.exitCode = 1;
    }
    process.exit();
  };
  process.on('SIGINT', (s) => void shutdown(s));
  process.on('SIGTERM', (s) => void shutdown(s));
}
