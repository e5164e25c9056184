import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { ImageRef } from '#shared/comfyui/api-types.ts';
import type { ComfyClient } from '#shared/comfyui/client.ts';
import { backoffDelay } from '#shared/comfyui/backoff.ts';
import type { GenerationOutput } from '#shared/db/entities/generation.ts';
import type { GenerationRow } from '#shared/db/repositories/generation-repository.ts';
import { markStorageFailing, markStorageOk, readStorageHealth, type StorageHealthRow } from '#shared/db/sql/storage-health.ts';
import { AppError, ErrorCode } from '#shared/errors.ts';
import { countOutageFailure } from '#shared/metrics/outage-metrics.ts';
import type { GenerateContext, JobHelpers, SchedulerContext } from '../context.ts';
import { failWith, settle } from '../settle.ts';
import { storeOutputs } from './store-outputs.ts';

const storageBackoff = { baseMs: 500, maxMs: 30_000 };

export const storageFailedReason = 'The image was made, but it could not be saved: image storage is failing. Please try again later.';

/**
 * Stores the outputs, retrying with backoff for STORAGE_RETRY_SECONDS while storage fails: the
 * images stay on the ComfyUI instance (history + /view), so no GPU work is repeated. Storage is
 * marked failing meanwhile (placement holds new GPU work), and healthy again by the success that
 * follows (settleSucceeded, in the same statement as the status change).
 * Undefined: storage failed for the whole retry time and the generation was failed with that reason.
 */
export async function storeWithRetry(
  ctx: GenerateContext, g: GenerationRow, client: ComfyClient, images: ImageRef[], helpers: JobHelpers,
): Promise<GenerationOutput[] | undefined> {
  const deadline = Date.now() + ctx.config.STORAGE_RETRY_SECONDS * 1000;
  for (let attempt = 0; ; attempt++) {
    let outputs: GenerationOutput[];
    try {
      outputs = await storeOutputs(ctx, g, client, images, helpers);
    } catch (err) {
      if (!(err instanceof AppError && err.code === ErrorCode.StorageUnavailable)) throw err;
      await storageFailed(ctx, err.message);
      const left = deadline - Date.now();
      if (left <= 0) {
        helpers.logger.error({ err, attempts: attempt + 1 }, 'storage kept failing; the generation fails with a storage reason');
        await settle(ctx.pool, ctx.boss, g.id, 'failed', failWith(ErrorCode.StorageUnavailable, storageFailedReason));
        return undefined;
      }
      await delay(Math.min(left, backoffDelay(attempt, storageBackoff)), undefined, { signal: helpers.signal });
      continue;
    }
    return outputs;
  }
}

/** Records a failed write; logs once when storage turns from healthy to failing. */
export async function storageFailed(ctx: SchedulerContext, error: string): Promise<void> {
  const stmt = markStorageFailing(error);
  const wasOk = (await ctx.db.executeSql<{ wasOk: boolean }>(stmt.text, stmt.values)).rows[0]?.wasOk;
  countOutageFailure('storage', { report: wasOk ? 'started' : 'quiet' });
  if (wasOk) ctx.logger.error({ error }, 'image storage failing: new GPU work is held until a write succeeds; finished outputs wait on ComfyUI');
}

/** Records a successful write; logs once when storage recovers. */
export async function storageWorks(ctx: SchedulerContext): Promise<void> {
  const stmt = markStorageOk();
  const ended = (await ctx.db.executeSql<{ failingSince: Date }>(stmt.text, stmt.values)).rows[0];
  if (ended) ctx.logger.warn({ failingForSeconds: Math.round((Date.now() - ended.failingSince.getTime()) / 1000) }, 'image storage recovered; GPU work resumes');
}

/**
 * While storage is marked failing, one probe write (then delete) tells whether it works again, so
 * intake resumes even when no generation is left retrying. Does nothing while storage is healthy.
 */
export async function probeStorageIfFailing(ctx: SchedulerContext): Promise<void> {
  const read = readStorageHealth();
  const row = (await ctx.db.executeSql<StorageHealthRow>(read.text, read.values)).rows[0];
  if (!row?.failingSince) return;
  const key = `health-probe/${randomUUID()}`;
  try {
    await ctx.storage.put(key, Buffer.from('probe'));
    await ctx.storage.delete(key);
  } catch (err) {
    await storageFailed(ctx, `writing to image storage failed: ${(err as Error).message}`);
    return;
  }
  await storageWorks(ctx);
}
