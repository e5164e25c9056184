import type { SqlStatement } from '#shared/db/pool.ts';

/** Only what an image request needs: the storage keys and hashes, and whether the generation was deleted. */
export function generationOutputs(generationId: string): SqlStatement {
  return { text: `select outputs, deleted_at as "deletedAt" from generation where id = $1`, values: [generationId] };
}
