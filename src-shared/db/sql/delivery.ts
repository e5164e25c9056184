import type { SqlStatement } from '#shared/db/pool.ts';

/**
 * The deliveries of a batch recorded in one statement (see the deliver job's batch hooks). Rows are
 * locked in id order, as mergeOutputs locks them: unordered, this statement and a thumbnail batch's
 * merge into the same generations deadlocked, and when this one was the victim the batch's endings
 * were delivered again on the retry (gpu-farm: 3 results posted twice).
 */
export function markDelivered(generationIds: string[]): SqlStatement {
  return {
    text: `update generation g set delivered_at = now(), updated_at = now()
      from (select id from generation where id = any($1::uuid[]) and delivered_at is null order by id for update) locked
      where g.id = locked.id`,
    values: [generationIds],
  };
}
