import type { SqlStatement } from '#shared/db/pool.ts';

export function lockOutputs(generationId: string): SqlStatement {
  return { text: `select outputs from generation where id = $1 for update`, values: [generationId] };
}

/**
 * Merges per-output changes (`{ index, ... }`, e.g. thumbnails) into a generation's outputs in one
 * statement, only onto outputs still stored (retention or an erasure may have removed one since).
 * Returns the indexes that were still stored; no row when the generation is gone.
 */
export function mergeOutputs(generationId: string, updates: { index: number }[]): SqlStatement {
  return {
    text: `update generation g set updated_at = now(), outputs = (
        select coalesce(jsonb_agg(case when o->>'status' = 'stored' and u.patch is not null then o || u.patch else o end order by n), '[]'::jsonb)
        from jsonb_array_elements(previous.outputs) with ordinality as e(o, n)
        left join (select (p->>'index')::int as index, p as patch from jsonb_array_elements($2::jsonb) p) u on u.index = (o->>'index')::int)
      from (select id, outputs from generation where id = $1 for update) previous
      where g.id = previous.id
      returning (select coalesce(array_agg((o->>'index')::int), '{}') from jsonb_array_elements(previous.outputs) o where o->>'status' = 'stored') as "stored"`,
    values: [generationId, JSON.stringify(updates)],
  };
}
