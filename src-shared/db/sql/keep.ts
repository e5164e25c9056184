import type { SqlStatement } from '#shared/db/pool.ts';

/**
 * Marks every output of a generation kept (or not): retention never removes a kept output. The row
 * lock this takes is the one retention checks `kept` under, so the two cannot cross.
 */
export function setKept(generationId: string, kept: boolean): SqlStatement {
  return {
    text: `update generation set updated_at = now(), outputs = coalesce(
        (select jsonb_agg(e.o || jsonb_build_object('kept', $2::boolean) order by e.n) from jsonb_array_elements(outputs) with ordinality e(o, n)), '[]'::jsonb)
      where id = $1 returning outputs`,
    values: [generationId, kept],
  };
}
