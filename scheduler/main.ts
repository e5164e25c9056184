import { loadConfigOrExit } from '#shared/config.ts';
import { createLogger } from '#shared/logging.ts';
import { guardStartup, startupContextFrom } from '#shared/startup-errors.ts';
import { guardProcess, stopOnSignals } from '#shared/shutdown.ts';
import type { GenerateCheckpoint, SchedulerTestHooks } from './context.ts';
import { startScheduler } from './start-scheduler.ts';

const config = loadConfigOrExit('scheduler');
const logger = createLogger({ level: config.LOG_LEVEL, name: 'scheduler' });
const startupGuard = guardStartup(logger, startupContextFrom(config));
const scheduler = await startScheduler({ config, logger, __test__: crashHooks(process.env.__TEST__CRASH_AT) });

startupGuard();
guardProcess(logger, stopOnSignals(logger, () => scheduler.stop()));

/**
 * Test-only fault injection for the crash-safety suite: `__TEST__CRASH_AT=after-submit` makes the
 * process SIGKILL itself the first time a generation reaches that point.
 */
function crashHooks(at: string | undefined): SchedulerTestHooks | undefined {
  if (!at) return undefined;
  return {
    checkpoint(name: GenerateCheckpoint, generationId: string) {
      if (name !== at) return;
      logger.warn({ generationId, at }, 'test crash');
      process.kill(process.pid, 'SIGKILL');
    },
  };
}
