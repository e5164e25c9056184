import type { SqlStatement } from '#shared/db/pool.ts';

export function markDelivered(generationId: string): SqlStatement {
  return {
    text: `update generation set delivered_at = now(), updated_at = now() where id = $1 and delivered_at is null`,
    values: [generationId],
  };
}
