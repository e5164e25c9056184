import type { SqlStatement } from '#shared/db/pool.ts';

const finished = `status in ('succeeded', 'failed', 'cancelled')`;
const unkeptStored = (o: string) => `${o}->>'status' = 'stored' and coalesce((${o}->>'kept')::boolean, false) = false`;
/** An output's bytes with its thumbnails'. */
const outputBytes = (o: string) =>
  `coalesce((${o}->>'bytes')::bigint, 0) + coalesce((select sum((t->>'bytes')::bigint) from jsonb_array_elements(${o}->'thumbnails') t), 0)`;

/** The last output retention may remove, oldest first: created_at, generation id and output index. */
export interface RetentionBoundary {
  createdAt: Date;
  id: string;
  index: number;
}

/**
 * For a total-size cap, in one pass: the newest output that must go so that what stays (stored,
 * with thumbnails) fits under `capBytes`, counting removable outputs oldest first with a running sum.
 * No row when everything fits.
 */
export function sizeCapBoundary(capBytes: number): SqlStatement {
  return {
    text: `with stored as (
        select g.id, g.created_at, (o->>'index')::int as idx, ${outputBytes('o')} as bytes,
          (${unkeptStored('o')}) and g.${finished} as removable
        from generation g, jsonb_array_elements(g.outputs) o
        where o->>'status' = 'stored'),
      total as (select coalesce(sum(bytes), 0) as bytes from stored),
      freed as (
        select id, created_at, idx, sum(bytes) over (order by created_at, id, idx rows unbounded preceding) as freed
        from stored where removable),
      candidates as (
        (select 0 as pick, f.* from freed f, total t where t.bytes - f.freed <= $1::bigint order by created_at, id, idx limit 1)
        union all
        (select 1 as pick, f.* from freed f order by created_at desc, id desc, idx desc limit 1))
      select c.created_at as "createdAt", c.id, c.idx as index from candidates c, total t
      where t.bytes > $1::bigint order by c.pick limit 1`,
    values: [capBytes],
  };
}

/** Where a batch of expiry stops: older than a date (age), or up to and including a boundary output (size). */
export type ExpiryLimit = { olderThan: Date } | { through: RetentionBoundary };

/**
 * One batch, in one statement: the next `limit` finished generations (oldest first, after `after`)
 * holding removable outputs within `bound` are locked, and those outputs marked expired with no
 * thumbnails. Kept and status are checked under the row lock, so a ⭐ pressed meanwhile wins.
 * Returns each row's outputs before and after; the caller deletes the files that went.
 */
export function expireBatch(bound: ExpiryLimit, after: { createdAt: Date; id: string } | null, limit: number): SqlStatement {
  const olderThan = 'olderThan' in bound ? bound.olderThan : null;
  const through = 'through' in bound ? bound.through : null;
  return {
    text: `with batch as (
        select id, outputs from generation
        where ${finished}
          and ($1::timestamptz is null or created_at < $1)
          and ($2::timestamptz is null or (created_at, id) <= ($2::timestamptz, $3::uuid))
          and ($5::timestamptz is null or (created_at, id) > ($5::timestamptz, $6::uuid))
          and exists (select 1 from jsonb_array_elements(outputs) o where ${unkeptStored('o')})
        order by created_at, id limit $7
        for update)
      update generation g set updated_at = now(), outputs = (
          select jsonb_agg(case when ${unkeptStored('e.o')} and ($3::uuid is null or g.id <> $3::uuid or (e.o->>'index')::int <= $4::int)
            then e.o || '{"status": "expired", "thumbnails": []}'::jsonb else e.o end order by e.n)
          from jsonb_array_elements(g.outputs) with ordinality e(o, n))
      from batch b where g.id = b.id
      returning g.id, g.created_at as "createdAt", g.init_image_key as "initImageKey", b.outputs as before, g.outputs as after`,
    values: [olderThan, through?.createdAt ?? null, through?.id ?? null, through?.index ?? null, after?.createdAt ?? null, after?.id ?? null, limit],
  };
}

/** Clears interaction tokens past their expiry (Discord refuses them after 15 minutes anyway). */
export function clearExpiredTokens(): SqlStatement {
  return {
    text: `update generation set interaction_token = null
      where interaction_token is not null and interaction_token_expires_at < now()`,
    values: [],
  };
}

/**
 * Deletes up to `limit` finished generation rows created before `olderThan` that hold no stored
 * file any more (retention removed them first; a kept output keeps its row).
 */
export function pruneGenerationRows(olderThan: Date, limit: number): SqlStatement {
  return {
    text: `delete from generation where id in (
        select id from generation
        where ${finished} and created_at < $1
          and not exists (select 1 from jsonb_array_elements(outputs) o where o->>'status' = 'stored')
        limit $2)
      returning init_image_key as "initImageKey"`,
    values: [olderThan, limit],
  };
}

/**
 * Of these pictures members gave to start from, the ones no generation needs any more: none that
 * uses it is still unfinished or still has a stored output (a ⭐ kept result keeps its picture).
 */
export function unneededInputPictures(keys: string[]): SqlStatement {
  return {
    text: `select k.key from unnest($1::text[]) k(key)
      where not exists (
        select 1 from generation g where g.init_image_key = k.key
          and (not g.${finished} or exists (select 1 from jsonb_array_elements(g.outputs) o where o->>'status' = 'stored')))`,
    values: [keys],
  };
}
