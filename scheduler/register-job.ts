import { coerceError } from '#shared/errors.ts';
import { sanitizedError } from '#shared/redaction/sanitize.ts';
import { parsePayload, type JobPayload, type QueueName } from '#shared/queue/contracts.ts';
import type { JobDefinition, SchedulerContext } from './context.ts';

/**
 * Runs a job definition on pg-boss: payload validated, a job-scoped logger, errors tagged with their origin.
 *
 * A definition whose work options ask for `batchSize` > 1 runs each fetched batch concurrently and
 * settles every job on its own (pg-boss `perJobResults`: one failure retries only itself), and
 * fetches again at once while batches come back full (`burstWhenBatchFull`), so a backlog drains
 * without waiting out the polling interval between jobs.
 */
export async function registerJob<Q extends QueueName>(ctx: SchedulerContext, def: JobDefinition<JobPayload<Q>> & { name: Q }): Promise<string> {
  // NOTIFY wakes workers for new jobs at once; retries and deferred jobs are only found by polling.
  const options = { batchSize: 1, includeMetadata: true, pollingIntervalSeconds: 2, notifyPollingIntervalSeconds: 2, ...(def.workOptions?.(ctx) ?? {}) };
  const runOne = async (job: { id: string; data: unknown; signal: AbortSignal; retryCount: number }): Promise<void> => {
    const payload = parsePayload(def.name, job.data);
    const generationId = (payload as { generationId?: string }).generationId;
    const logger = ctx.logger.child({ queue: def.name, jobId: job.id, ...(generationId ? { generationId } : {}) });
    const started = performance.now();
    const { retryCount } = job;
    try {
      await def.handle(ctx, payload, { logger, jobId: job.id, signal: job.signal, retryCount });
      ctx.metrics.job(def.name, 'done');
      logger.debug({ ms: Math.round(performance.now() - started) }, 'job done');
    } catch (err) {
      ctx.metrics.job(def.name, 'failed');
      const e = coerceError(err);
      logger.warn({ err: e, attempt: retryCount + 1, ms: Math.round(performance.now() - started) }, 'job failed');
      // pg-boss stores the thrown error in its job table: no request URLs with tokens, no image bytes.
      throw sanitizedError(e, `${e.message} (queue: ${def.name}, job: ${job.id})`);
    }
  };
  if (options.batchSize > 1) {
    return ctx.boss.work(def.name, { burstWhenBatchFull: true, ...options, perJobResults: true }, async (jobs) =>
      Promise.all(
        jobs.map((job) =>
          runOne(job).then(
            () => ({ id: job.id, status: 'completed' as const }),
            (err: unknown) => ({ id: job.id, status: 'failed' as const, output: err }),
          ),
        ),
      ),
    );
  }
  return ctx.boss.work(def.name, options, async (jobs) => {
    for (const job of jobs) await runOne(job);
  });
}
