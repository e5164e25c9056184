import { orphanedGenerations, overdueGenerations, undeliveredGenerations } from '#shared/db/sql/reaper.ts';
import type { JobPayload } from '#shared/queue/contracts.ts';
import { sendDelivery } from '#shared/queue/send-delivery.ts';
import type { JobDefinition } from '../context.ts';
import { failWith, settle, timeoutReason } from '../settle.ts';

const kindFor = { succeeded: 'result', failed: 'failure', cancelled: 'cancelled' } as const;

/** Settles work nobody will finish: vanished jobs, overdue runs, endings never delivered. */
export const reapStuckJob: JobDefinition<JobPayload<'reap-stuck'>> & { name: 'reap-stuck' } = {
  name: 'reap-stuck',
  async handle(ctx, _payload, { logger }) {
    const graceSeconds = 60;
    const orphans = await ctx.db.executeSql<{ id: string; status: string }>(orphanedGenerations(graceSeconds).text, orphanedGenerations(graceSeconds).values);
    for (const { id, status } of orphans.rows) {
      const to = status === 'cancel_requested' ? 'cancelled' : 'failed';
      await settle(ctx.pool, ctx.boss, id, to, to === 'failed' ? failWith('lost', 'This request was lost by the scheduler. Please try again.') : {});
      logger.warn({ generationId: id, status }, 'settled a generation whose job vanished');
    }
    // A little over the budget (plus the time collecting outputs may be retried while storage
    // fails): the generate job enforces it first; this catches jobs that died doing so.
    const budget = ctx.config.GENERATION_TIMEOUT_SECONDS + ctx.config.STORAGE_RETRY_SECONDS + 120;
    const overdue = await ctx.db.executeSql<{ id: string }>(overdueGenerations(budget).text, overdueGenerations(budget).values);
    for (const { id } of overdue.rows) {
      await settle(ctx.pool, ctx.boss, id, 'failed', failWith('timeout', timeoutReason));
      logger.warn({ generationId: id }, 'settled an overdue generation');
    }
    const undelivered = await ctx.db.executeSql<{ id: string; status: keyof typeof kindFor }>(
      undeliveredGenerations(graceSeconds * 5).text,
      undeliveredGenerations(graceSeconds * 5).values,
    );
    for (const { id, status } of undelivered.rows) {
      await sendDelivery(ctx.boss, id, kindFor[status]);
      logger.warn({ generationId: id }, 're-enqueued a delivery that never happened');
    }
  },
};
