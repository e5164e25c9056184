import type { SqlStatement } from '#shared/db/pool.ts';

/** The deliveries of a batch recorded in one statement (see the deliver job's batch hooks). */
export function markDelivered(generationIds: string[]): SqlStatement {
  return {
    text: `update generation set delivered_at = now(), updated_at = now() where id = any($1::uuid[]) and delivered_at is null`,
    values: [generationIds],
  };
}
