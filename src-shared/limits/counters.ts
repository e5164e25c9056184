import { randomInt } from 'node:crypto';
import type { Db } from '#shared/db/pool.ts';
import { addWaiting, pruneUsage, releaseUsage } from './sql.ts';
import { transitionEffects, type StatusChange } from './transition-effects.ts';

/** Rows the waiting counter is spread over; more rows, fewer enqueues waiting on one lock. */
export const waitingShards = 16;

/**
 * The waiting-counter shard a transaction adds its joining requests to (enqueueStatement or
 * insertJoinedGenerations, last in the enqueue: the shard row stays locked until commit, and taking
 * it after the usage rows keeps one lock order everywhere: usage rows, then a shard).
 */
export function joinShard(): number {
  return randomInt(waitingShards);
}

/** Keeps the limiter's counters in step with a status change; must run in that change's transaction. */
export async function countStatusChange(db: Db, change: StatusChange): Promise<void> {
  const effects = transitionEffects(change);
  if (effects.releaseActive || effects.refundImages) {
    const stmt = releaseUsage(change.userId, effects.releaseActive ? 1 : 0, effects.refundImages, change.chargedAt!);
    await db.executeSql(stmt.text, stmt.values, stmt.name);
  }
  if (effects.waitingDelta) {
    const stmt = addWaiting(randomInt(waitingShards), effects.waitingDelta);
    await db.executeSql(stmt.text, stmt.values, stmt.name);
  }
}

/** Forgets users with nothing queued or running whose every window is over (cleanup cron). */
export async function pruneIdleUsage(db: Db, now: Date | null = null): Promise<number> {
  const stmt = pruneUsage(now);
  return (await db.executeSql(stmt.text, stmt.values, stmt.name)).rowCount ?? 0;
}
