import type { SqlStatement } from '#shared/db/pool.ts';

/** Offers a value; the first offer for a name wins and later ones change nothing. */
export function offerAppSecret(name: string, value: string): SqlStatement {
  return { text: `insert into app_secret (name, value) values ($1, $2) on conflict (name) do nothing`, values: [name, value] };
}

// A separate statement from the insert: under READ COMMITTED a select in the same statement would
// use the snapshot taken before a concurrent winner committed, and find nothing.
export function selectAppSecret(name: string): SqlStatement {
  return { text: `select value from app_secret where name = $1`, values: [name] };
}
