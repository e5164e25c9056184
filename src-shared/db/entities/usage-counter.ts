import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

export const usageWindows = ['minute', 'hour', 'day'] as const;

/**
 * One fixed-window counter per (subject, window): a check-and-consume is a single-row upsert,
 * so it is O(1), atomic under concurrency, and knows when the window resets.
 */
export const UsageCounterEntity = defineEntity({
  name: 'UsageCounter',
  tableName: 'usage_counter',
  properties: {
    subject: p.string().length(64).primary(),
    window: p.enum(() => usageWindows).primary(),
    windowStart: p.datetime(3),
    count: p.integer().default(0),
  },
  indexes: [{ name: 'usage_counter_window_start_idx', properties: ['windowStart'] }],
});

export type UsageCounter = InferEntity<typeof UsageCounterEntity>;
