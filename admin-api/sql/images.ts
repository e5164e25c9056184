import type { SqlStatement } from '#shared/db/pool.ts';

/** Only the outputs column: the storage keys and hashes an image request needs. */
export function generationOutputs(generationId: string): SqlStatement {
  return { text: `select outputs from generation where id = $1`, values: [generationId] };
}
