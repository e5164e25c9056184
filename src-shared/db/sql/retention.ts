import type { SqlStatement } from '#shared/db/pool.ts';

/** Finished generations with stored, unkept outputs, oldest first. */
export function expirableGenerations(olderThan: Date | null, limit: number): SqlStatement {
  return {
    text: `select id, outputs from generation
      where status in ('succeeded', 'failed', 'cancelled')
        and ($1::timestamptz is null or created_at < $1)
        and exists (select 1 from jsonb_array_elements(outputs) o where o->>'status' = 'stored' and coalesce((o->>'kept')::boolean, false) = false)
      order by created_at, id limit $2`,
    values: [olderThan, limit],
  };
}

/** Bytes held by stored outputs and their thumbnails. */
export function storedBytes(): SqlStatement {
  return {
    text: `select coalesce(sum((o->>'bytes')::bigint + coalesce((select sum((t->>'bytes')::bigint) from jsonb_array_elements(o->'thumbnails') t), 0)), 0)::text as bytes
      from generation, jsonb_array_elements(outputs) o where o->>'status' = 'stored'`,
    values: [],
  };
}
