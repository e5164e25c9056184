import type { SqlStatement } from '#shared/db/pool.ts';

export function lockOutputs(generationId: string): SqlStatement {
  return { text: `select outputs from generation where id = $1 for update`, values: [generationId] };
}

export function saveOutputs(generationId: string, outputs: unknown[]): SqlStatement {
  return { text: `update generation set outputs = $2::jsonb, updated_at = now() where id = $1`, values: [generationId, JSON.stringify(outputs)] };
}
