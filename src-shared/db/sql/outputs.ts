import type { SqlStatement } from '#shared/db/pool.ts';

export function lockOutputs(generationId: string): SqlStatement {
  return { text: `select outputs from generation where id = $1 for update`, values: [generationId] };
}

/**
 * Merges per-output changes (`{ index, ... }`, e.g. thumbnails) into the outputs of one or more
 * generations in one statement, only onto outputs still stored (retention or an erasure may have
 * removed one since). One entry per generation. Returns, per generation still there, the indexes
 * that were still stored; no row for a generation gone. Rows are locked in id order, so two batches
 * merging into the same generations never deadlock.
 */
export function mergeOutputs(merges: { generationId: string; updates: ({ index: number } & Record<string, unknown>)[] }[]): SqlStatement {
  return {
    text: `update generation g set updated_at = now(), outputs = (
        select coalesce(jsonb_agg(case when o->>'status' = 'stored' and u.patch is not null then o || u.patch else o end order by n), '[]'::jsonb)
        from jsonb_array_elements(previous.outputs) with ordinality as e(o, n)
        left join (select (p->>'index')::int as index, p as patch from jsonb_array_elements(previous.updates) p) u on u.index = (o->>'index')::int)
      from (select g.id, g.outputs, m.updates from generation g
          join jsonb_to_recordset($1::jsonb) as m("generationId" uuid, updates jsonb) on m."generationId" = g.id
          order by g.id for update of g) previous
      where g.id = previous.id
      returning g.id as "generationId",
        (select coalesce(array_agg((o->>'index')::int), '{}') from jsonb_array_elements(previous.outputs) o where o->>'status' = 'stored') as "stored"`,
    values: [JSON.stringify(merges)],
  };
}
