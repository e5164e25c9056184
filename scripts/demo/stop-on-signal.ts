import type { Logger } from '#shared/logging.ts';

export interface Stopper {
  /** Stopped in reverse order, on the way out or on Ctrl-C / SIGTERM. */
  cleanups: (() => Promise<unknown>)[];
  /** Runs every cleanup once (later calls wait for the same run). */
  stopAll(): Promise<void>;
  /** Whether a signal started the stop (work in flight then fails, as expected). */
  signalled(): boolean;
}

/**
 * The demo's and the playground's shutdown: everything they started is stopped in reverse order, and
 * Ctrl-C (which reaches the embedded PostgreSQL too) ends with exit code 130 and no stack trace.
 */
export function stopOnSignals(opts: { logger: Logger; say: (line: string) => void; disarmStartupGuard: () => void; onSignal?: () => void }): Stopper {
  const cleanups: (() => Promise<unknown>)[] = [];
  let stopping: Promise<void> | undefined;
  let signalled = false;
  const stopAll = () =>
    (stopping ??= (async () => {
      for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
    })());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      signalled = true;
      opts.onSignal?.();
      // Connections PostgreSQL closes now are expected, not a crash.
      opts.disarmStartupGuard();
      process.on('uncaughtException', (err) => opts.logger.debug({ err }, 'while stopping'));
      opts.say(`\n${signal}: stopping`);
      const force = setTimeout(() => process.exit(130), 15_000);
      void stopAll().then(() => {
        clearTimeout(force);
        process.exit(130);
      });
    });
  }
  return { cleanups, stopAll, signalled: () => signalled };
}
