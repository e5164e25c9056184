import type { PgBoss } from 'pg-boss';

export interface EmbeddableJobInsert {
  /** A single INSERT whose only parameter is $1, the jobs as a JSON array (as insert() takes them), returning at least their ids. */
  insert: string;
  /** pg-boss would wake the queue's workers (its notify-on-send): the embedding statement must pg_notify itself. */
  notify: boolean;
}

/**
 * The statement pg-boss's own `insert(queue, jobs, { returnId: true })` runs, for running inside a
 * larger statement of ours (the enqueue makes its jobs, rows and limiter counts in one round trip;
 * a success settles with its delivery job in one). pg-boss builds it (its queue cache, table,
 * defaults and columns): we hand insert() a `db` adapter, a documented option, that keeps the
 * statement instead of running it. For a queue with notify-on-send pg-boss wraps the INSERT in
 * `WITH ins AS (…), notified AS (select pg_notify…)`: a data-modifying WITH cannot be nested, so the
 * INSERT is taken out and the caller notifies (`notify`). Null when the statement has another
 * shape (a future pg-boss that changes it); the caller then inserts the jobs with insert() itself.
 */
export async function jobInsertSql(boss: PgBoss, queue: string): Promise<EmbeddableJobInsert | null> {
  let kept: { text: string; values: unknown[] } | undefined;
  const keeper = {
    executeSql: (text: string, values: unknown[] = []) => {
      kept = { text, values };
      return Promise.resolve({ rows: [] });
    },
  };
  await boss.insert(queue, [], { db: keeper as never, returnId: true });
  if (!kept || kept.values.length !== 1) return null;
  const wrapped = /^\s*with\s+ins\s+as\s*\(([\s\S]*)\),\s*notified\s+as\s*\(\s*select\s+pg_notify\(/i.exec(kept.text);
  const insert = wrapped ? wrapped[1]!.trim() : kept.text;
  const params = new Set(insert.match(/\$\d+/g));
  if (params.size !== 1 || !params.has('$1') || !/^\s*insert\s+into\s/i.test(insert) || !/\breturning\s+id(\s*,\s*start_after)?\s*$/i.test(insert)) return null;
  return { insert, notify: Boolean(wrapped) };
}
