import { coerceError } from '#shared/errors.ts';
import { sanitizedError } from '#shared/redaction/sanitize.ts';
import { parsePayload, type JobPayload, type QueueName } from '#shared/queue/contracts.ts';
import type { JobDefinition, SchedulerContext } from './context.ts';

/** Runs a job definition on pg-boss: payload validated, a job-scoped logger, errors tagged with their origin. */
export async function registerJob<Q extends QueueName>(ctx: SchedulerContext, def: JobDefinition<JobPayload<Q>> & { name: Q }): Promise<string> {
  // NOTIFY wakes workers for new jobs at once; retries and deferred jobs are only found by polling.
  const options = { batchSize: 1, includeMetadata: true, pollingIntervalSeconds: 2, notifyPollingIntervalSeconds: 2, ...(def.workOptions?.(ctx) ?? {}) };
  return ctx.boss.work(def.name, options, async (jobs) => {
    for (const job of jobs) {
      const payload = parsePayload(def.name, job.data);
      const generationId = (payload as { generationId?: string }).generationId;
      const logger = ctx.logger.child({ queue: def.name, jobId: job.id, ...(generationId ? { generationId } : {}) });
      const started = performance.now();
      try {
        await def.handle(ctx, payload, { logger, jobId: job.id, signal: job.signal, retryCount: job.retryCount });
        ctx.metrics.job(def.name, 'done');
        logger.debug({ ms: Math.round(performance.now() - started) }, 'job done');
      } catch (err) {
        ctx.metrics.job(def.name, 'failed');
        const e = coerceError(err);
        logger.warn({ err: e, attempt: job.retryCount + 1, ms: Math.round(performance.now() - started) }, 'job failed');
        // pg-boss stores the thrown error in its job table: no request URLs with tokens, no image bytes.
        throw sanitizedError(e, `${e.message} (queue: ${def.name}, job: ${job.id})`);
      }
    }
  });
}
