import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/**
 * One row per user: fixed-window image counts (UTC minute, hour, day) and the requests queued or
 * running. A check-and-consume is one upsert of this row, so it is O(1) and atomic under
 * concurrency. Written only by src-shared/limits/sql.ts; idle rows are pruned by `cleanup`.
 */
export const UserUsageEntity = defineEntity({
  name: 'UserUsage',
  tableName: 'user_usage',
  properties: {
    userId: p.string().length(20).primary(),
    minuteStart: p.datetime(3),
    minuteCount: p.integer().default(0),
    hourStart: p.datetime(3),
    hourCount: p.integer().default(0),
    dayStart: p.datetime(3),
    dayCount: p.integer().default(0),
    active: p.integer().default(0),
    updatedAt: p.datetime(3).defaultRaw('now()'),
  },
});

export type UserUsage = InferEntity<typeof UserUsageEntity>;

/**
 * Requests waiting in line (status queued), summed over a few rows so concurrent enqueues do not
 * all queue behind one row lock. Any shard may be negative; only the sum means something.
 */
export const QueueWaitingEntity = defineEntity({
  name: 'QueueWaiting',
  tableName: 'queue_waiting',
  properties: {
    shard: p.smallint().primary().autoincrement(false),
    waiting: p.integer().default(0),
  },
});

export type QueueWaiting = InferEntity<typeof QueueWaitingEntity>;
