import type { GenerationOutput } from '#shared/db/entities/generation.ts';
import { saveOutputs } from '#shared/db/sql/outputs.ts';
import { expirableGenerations, storedBytes } from '#shared/db/sql/retention.ts';
import { pruneIdleUsage } from '#shared/limits/counters.ts';
import type { JobPayload } from '#shared/queue/contracts.ts';
import type { JobDefinition, SchedulerContext } from '../context.ts';

const batch = 200;

/** Retention by age, then by total size (oldest first); kept outputs are never touched. Then idle limiter usage rows. */
export const cleanupJob: JobDefinition<JobPayload<'cleanup'>> & { name: 'cleanup' } = {
  name: 'cleanup',
  async handle(ctx, _payload, { logger }) {
    let removed = 0;
    const days = ctx.config.RETENTION_DAYS;
    if (days > 0) {
      const cutoff = new Date(Date.now() - days * 86_400_000);
      removed += await expireWhile(ctx, cutoff, async () => true);
    }
    const capBytes = ctx.config.STORAGE_MAX_GB * 1024 ** 3;
    if (capBytes > 0) {
      removed += await expireWhile(ctx, null, async () => {
        const { rows } = await ctx.db.executeSql<{ bytes: string }>(storedBytes().text, storedBytes().values);
        return Number(rows[0]?.bytes ?? 0) > capBytes;
      });
    }
    if (removed) logger.info({ removed }, 'retention removed outputs');
    const pruned = await pruneIdleUsage(ctx.db);
    if (pruned) logger.info({ pruned }, 'pruned idle usage rows');
  },
};

async function expireWhile(ctx: SchedulerContext, olderThan: Date | null, more: () => Promise<boolean>): Promise<number> {
  let removed = 0;
  while (await more()) {
    const stmt = expirableGenerations(olderThan, olderThan ? batch : 1);
    const { rows } = await ctx.db.executeSql<{ id: string; outputs: GenerationOutput[] }>(stmt.text, stmt.values);
    if (rows.length === 0) break;
    for (const row of rows) {
      const outputs = [];
      for (const o of row.outputs) {
        if (o.status !== 'stored' || o.kept) {
          outputs.push(o);
          continue;
        }
        for (const key of [o.path, ...(o.thumbnails ?? []).map((t) => t.path)]) if (key) await ctx.storage.delete(key);
        outputs.push({ ...o, status: 'expired' as const, thumbnails: [] });
        removed++;
      }
      const save = saveOutputs(row.id, outputs);
      await ctx.db.executeSql(save.text, save.values);
    }
    if (olderThan && rows.length < batch) break;
  }
  return removed;
}
