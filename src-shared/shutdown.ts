import { coerceError } from './errors.ts';
import type { Logger } from './logging.ts';

/** Starts the graceful stop (once) for `reason`; the process exits when it is done. */
export type Shutdown = (reason: string) => void;

/**
 * On SIGINT/SIGTERM: run `stop` once (finish work in hand, close connections), then exit. A stop
 * that hangs (a request that never ends) must not keep the process alive: exit after `forceAfterMs`.
 * Returns the same shutdown for other reasons (see guardProcess).
 */
export function stopOnSignals(logger: Logger, stop: () => Promise<void>, { forceAfterMs = 15_000 } = {}): Shutdown {
  let stopping = false;
  const shutdown = async (reason: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ reason }, 'stopping');
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
  return (reason) => void shutdown(reason);
}

/**
 * The process-level last resort, for errors nothing else caught.
 *
 * An unhandled rejection is logged and the process carries on: the promise's work is over and no
 * stack was cut short, so nothing is left half-done. (Most come from libraries' own event handlers,
 * e.g. discord.js reading a gateway packet it does not expect.)
 *
 * An uncaught exception is different: a synchronous throw unwound a stack midway, possibly between
 * two steps that had to happen together, and Node documents that resuming is unsafe. It is logged as
 * fatal and the process stops gracefully with exit code 1, for its supervisor (Docker's
 * `restart: unless-stopped`) to start a clean one. Jobs in hand go back to the queue.
 */
export function guardProcess(logger: Logger, shutdown: Shutdown): void {
  process.on('unhandledRejection', (reason) => {
    logger.error({ err: coerceError(reason) }, 'unhandled promise rejection; carrying on');
  });
  process.on('uncaughtException', (err, origin) => {
    logger.fatal({ err, origin }, 'uncaught exception; stopping');
    process.exitCode = 1;
    shutdown('uncaughtException');
  });
}
