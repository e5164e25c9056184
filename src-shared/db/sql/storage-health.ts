import type { SqlStatement } from '#shared/db/pool.ts';

export interface StorageHealthRow {
  failingSince: Date | null;
  lastError: string | null;
}

/** A write failed: keeps the first failure's time, records the latest error. Returns a row when it was healthy before. */
export function markStorageFailing(error: string): SqlStatement {
  return {
    text: `with before as (select failing_since from storage_health where id = 1 for update)
      update storage_health set failing_since = coalesce(failing_since, now()), last_error = $1, updated_at = now()
      where id = 1 returning (select failing_since is null from before) as "wasOk"`,
    values: [error],
  };
}

/** A write succeeded: returns the failure that ended, if there was one (changes nothing otherwise). */
export function markStorageOk(): SqlStatement {
  return {
    text: `with before as (select failing_since from storage_health where id = 1 for update)
      update storage_health set failing_since = null, last_error = null, updated_at = now()
      where id = 1 and failing_since is not null
      returning (select failing_since from before) as "failingSince"`,
    values: [],
  };
}

export function readStorageHealth(): SqlStatement {
  return { text: `select failing_since as "failingSince", last_error as "lastError" from storage_health where id = 1`, values: [] };
}

/** SQL condition: storage takes writes (placement gives out no GPU slot otherwise). */
export const storageWritable = `not exists (select 1 from storage_health where failing_since is not null)`;
