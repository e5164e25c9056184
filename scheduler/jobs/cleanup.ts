import type { GenerationOutput } from '#shared/db/entities/generation.ts';
import { clearExpiredTokens, expireBatch, pruneGenerationRows, sizeCapBoundary, unneededInputPictures, type ExpiryLimit, type RetentionBoundary } from '#shared/db/sql/retention.ts';
import { pruneIdleUsage } from '#shared/limits/counters.ts';
import type { JobPayload } from '#shared/queue/contracts.ts';
import { deleteKeys } from '#shared/storage/delete-keys.ts';
import { isInputImageKey } from '#shared/storage/keys.ts';
import { keysGone } from '#shared/storage/output-keys.ts';
import { countActiveGenerationsOf, pendingErasures } from '#shared/db/sql/erasure.ts';
import { eraseMember } from '#shared/erasure/erase-member.ts';
import type { JobDefinition, JobHelpers, SchedulerContext } from '../context.ts';

/** Generations per expiry statement and rows per prune statement: bounds each statement's locks and the keys held in memory. */
export const retentionBatch = 1000;

/**
 * Retention by age, then by total size (oldest first); kept outputs are never touched. The size cap
 * finds its boundary once (a running sum), so the work is linear in the outputs removed: one
 * statement per `retentionBatch` generations. Then expired interaction tokens, old finished rows
 * (per GENERATION_ROW_RETENTION_DAYS, their files first), erasures that waited for running work, and
 * idle limiter usage rows.
 */
export const cleanupJob: JobDefinition<JobPayload<'cleanup'>> & { name: 'cleanup' } = {
  name: 'cleanup',
  async handle(ctx, _payload, { logger }) {
    let removed = 0;
    const rowDays = ctx.config.GENERATION_ROW_RETENTION_DAYS;
    const ageDays = [ctx.config.RETENTION_DAYS, rowDays].filter((d) => d > 0);
    if (ageDays.length) removed += await expire(ctx, { olderThan: daysAgo(Math.min(...ageDays)) });
    const capBytes = ctx.config.STORAGE_MAX_GB * 1024 ** 3;
    if (capBytes > 0) {
      const stmt = sizeCapBoundary(capBytes);
      const boundary = (await ctx.db.executeSql<RetentionBoundary>(stmt.text, stmt.values)).rows[0];
      if (boundary) removed += await expire(ctx, { through: boundary });
    }
    if (removed) logger.info({ removed }, 'retention removed outputs');
    const tokens = clearExpiredTokens();
    const cleared = (await ctx.db.executeSql(tokens.text, tokens.values)).rowCount ?? 0;
    if (cleared) logger.info({ cleared }, 'cleared expired interaction tokens');
    if (rowDays > 0) {
      let pruned = 0;
      for (let n = retentionBatch; n === retentionBatch; pruned += n) {
        const prune = pruneGenerationRows(daysAgo(rowDays), retentionBatch);
        const { rows } = await ctx.db.executeSql<{ initImageKey: string | null }>(prune.text, prune.values);
        n = rows.length;
        await releaseInputPictures(ctx, rows);
      }
      if (pruned) logger.info({ pruned }, 'pruned old generation rows');
    }
    await finishErasures(ctx, logger);
    const idle = await pruneIdleUsage(ctx.db);
    if (idle) logger.info({ pruned: idle }, 'pruned idle usage rows');
  },
};

/** Erasures that waited for a member's running work: done once nothing of theirs is queued or running. */
async function finishErasures(ctx: SchedulerContext, logger: JobHelpers['logger']): Promise<void> {
  const pending = pendingErasures(100);
  for (const { userId } of (await ctx.db.executeSql<{ userId: string }>(pending.text, pending.values)).rows) {
    const active = countActiveGenerationsOf(userId);
    if (((await ctx.db.executeSql<{ n: number }>(active.text, active.values)).rows[0]?.n ?? 0) > 0) continue;
    const result = await eraseMember(ctx, userId, 'scheduler');
    logger.info({ generations: result.generations, files: result.files }, 'finished a pending erasure');
  }
}

const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000);

/** Marks outputs expired batch by batch (oldest first), deleting each batch's files once its rows say so. */
async function expire(ctx: SchedulerContext, bound: ExpiryLimit): Promise<number> {
  let removed = 0;
  let after: { createdAt: Date; id: string } | null = null;
  for (;;) {
    const stmt = expireBatch(bound, after, retentionBatch);
    const { rows } = await ctx.db.executeSql<{ id: string; createdAt: Date; initImageKey: string | null; before: GenerationOutput[]; after: GenerationOutput[] }>(stmt.text, stmt.values);
    const keys = rows.flatMap((r) => keysGone(r.before, r.after));
    await deleteKeys(ctx.storage, keys);
    await releaseInputPictures(ctx, rows);
    removed += rows.reduce((n, r) => n + r.before.filter((o) => o.status === 'stored').length - r.after.filter((o) => o.status === 'stored').length, 0);
    if (rows.length < retentionBatch) return removed;
    after = rows.reduce((last, r) => (r.createdAt.getTime() > last.createdAt.getTime() || (r.createdAt.getTime() === last.createdAt.getTime() && r.id > last.id) ? r : last));
  }
}

/**
 * Deletes the pictures members started from once no generation needs them (see
 * `unneededInputPictures`), checked when outputs expire or rows go. A member who sends the same
 * picture again while it is being released gets a clear "no longer stored" failure, never a wrong image.
 */
async function releaseInputPictures(ctx: SchedulerContext, rows: { initImageKey: string | null }[]): Promise<void> {
  const candidates = [...new Set(rows.flatMap((r) => (r.initImageKey && isInputImageKey(r.initImageKey) ? [r.initImageKey] : [])))];
  if (!candidates.length) return;
  const stmt = unneededInputPictures(candidates);
  const unneeded = (await ctx.db.executeSql<{ key: string }>(stmt.text, stmt.values)).rows.map((r) => r.key);
  await deleteKeys(ctx.storage, unneeded);
}
