import { coerceError } from '#shared/errors.ts';
import { sanitizedError } from '#shared/redaction/sanitize.ts';
import { parsePayload, type JobPayload, type QueueName } from '#shared/queue/contracts.ts';
import { queueDefinitions } from '#shared/queue/queues.ts';
import type { Logger } from '#shared/logging.ts';
import type { JobDefinition, SchedulerContext } from './context.ts';

type Job = { id: string; data: unknown; signal: AbortSignal; retryCount: number };

// A cron queue gets a job a minute at most, each sent with a NOTIFY (queues.ts); its poll is a
// backstop (a retry, a missed NOTIFY). Polled every 2 s, the four of them were a sixth of an idle
// scheduler's statements, in every process.
const cronPollSeconds = 30;
const cronQueues = new Set<string>(queueDefinitions.flatMap((q) => (q.cron ? [q.name] : [])));

/**
 * Runs a job definition on pg-boss: payload validated, a job-scoped logger, errors tagged with their origin.
 *
 * A definition whose work options ask for `batchSize` > 1 runs each fetched batch concurrently and
 * settles every job on its own (pg-boss `perJobResults`: one failure retries only itself), and
 * fetches again at once while batches come back full (`burstWhenBatchFull`), so a backlog drains
 * without waiting out the polling interval between jobs. Its `batch` hooks, if any, run once per
 * fetched batch around its jobs (see BatchHooks).
 */
export async function registerJob<Q extends QueueName, B = never>(ctx: SchedulerContext, def: JobDefinition<JobPayload<Q>, B> & { name: Q }): Promise<string> {
  // NOTIFY wakes workers for new jobs at once; retries and deferred jobs are only found by polling.
  const options = {
    batchSize: 1, includeMetadata: true, pollingIntervalSeconds: 2, notifyPollingIntervalSeconds: cronQueues.has(def.name) ? cronPollSeconds : 2,
    ...(def.workOptions?.(ctx) ?? {}),
  };
  const loggerFor = (job: Job, payload: unknown) => {
    const generationId = (payload as { generationId?: string } | undefined)?.generationId;
    return ctx.logger.child({ queue: def.name, jobId: job.id, ...(generationId ? { generationId } : {}) });
  };
  const failed = (job: Job, err: unknown, logger: Logger, started: number): Error => {
    ctx.metrics.job(def.name, 'failed');
    const e = coerceError(err);
    logger.warn({ err: e, attempt: job.retryCount + 1, ms: Math.round(performance.now() - started) }, 'job failed');
    // pg-boss stores the thrown error in its job table: no request URLs with tokens, no image bytes.
    return sanitizedError(e, `${e.message} (queue: ${def.name}, job: ${job.id})`);
  };
  const runOne = async (job: Job, payload: JobPayload<Q>, batch?: B): Promise<void> => {
    const logger = loggerFor(job, payload);
    const started = performance.now();
    const { retryCount } = job;
    try {
      await def.handle(ctx, payload, { logger, jobId: job.id, signal: job.signal, retryCount, ...(batch === undefined ? {} : { batch }) });
    } catch (err) {
      throw failed(job, err, logger, started);
    }
    // A batch's job is done once its end hook ran too (below).
    if (batch === undefined) done(logger, started);
  };
  const done = (logger: Logger, started: number) => {
    ctx.metrics.job(def.name, 'done');
    logger.debug({ ms: Math.round(performance.now() - started) }, 'job done');
  };
  if (options.batchSize > 1) {
    return ctx.boss.work(def.name, { burstWhenBatchFull: true, ...options, perJobResults: true }, async (jobs) => {
      const started = performance.now();
      const parsed = jobs.map((job) => {
        try {
          return { job, payload: parsePayload(def.name, job.data) };
        } catch (err) {
          return { job, error: failed(job, err, loggerFor(job, undefined), started) };
        }
      });
      const valid = parsed.flatMap((p) => (p.payload ? [{ job: p.job, payload: p.payload }] : []));
      let batch: B | undefined;
      try {
        batch = def.batch && valid.length > 0 ? await def.batch.start(ctx, valid.map((v) => v.payload)) : undefined;
      } catch (err) {
        return jobs.map((job) => ({ id: job.id, status: 'failed' as const, output: failed(job, err, loggerFor(job, job.data), started) }));
      }
      const outcomes = await Promise.all(
        parsed.map(async (p): Promise<Error | undefined> => {
          if (!p.payload) return p.error;
          try {
            await runOne(p.job, p.payload, batch);
            return undefined;
          } catch (err) {
            return err as Error;
          }
        }),
      );
      if (def.batch && batch !== undefined) {
        try {
          await def.batch.end(ctx, batch);
          for (const [i, job] of jobs.entries()) if (!outcomes[i]) done(loggerFor(job, job.data), started);
        } catch (err) {
          // Their work was done but not recorded: every job that succeeded runs again.
          for (const [i, job] of jobs.entries()) outcomes[i] ??= failed(job, err, loggerFor(job, job.data), started);
        }
      }
      return jobs.map((job, i) => (outcomes[i] ? { id: job.id, status: 'failed' as const, output: outcomes[i] } : { id: job.id, status: 'completed' as const }));
    });
  }
  return ctx.boss.work(def.name, options, async (jobs) => {
    for (const job of jobs) await runOne(job, parsePayload(def.name, job.data));
  });
}
