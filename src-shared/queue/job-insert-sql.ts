import type { PgBoss } from 'pg-boss';
import { bossSchema } from './boss.ts';
import { jobsInsertedNotify } from './wake.ts';

export interface EmbeddableJobInsert {
  /** A single INSERT whose only parameter is $1, the jobs as a JSON array (as insert() takes them), returning at least their ids. */
  insert: string;
  /** pg-boss would wake the queue's workers (its notify-on-send): the embedding statement must pg_notify itself. */
  notify: boolean;
  /** The INSERT returns start_after too (pg-boss's notify form): a NOTIFY can be kept to jobs runnable now. */
  returnsStartAfter: boolean;
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
  const kept = await keptStatements((db) => boss.insert(queue, [], { db: db as never, returnId: true }));
  return kept.length === 1 ? embeddable(kept[0]!) : null;
}

/**
 * The INSERT of pg-boss's `upsert(queue, data, { singletonKey })` when no job of that key waits: its
 * rows carry upsert_by_key, so pg-boss's unique index (one waiting job per key, job_i13) makes the
 * insert skip (ON CONFLICT DO NOTHING) when one already waits. Null as for jobInsertSql.
 */
export async function jobUpsertByKeyInsertSql(boss: PgBoss, queue: string): Promise<EmbeddableJobInsert | null> {
  const kept = await keptStatements((db) => boss.upsert(queue, {}, { db: db as never, singletonKey: 'statement' }));
  const inserts = kept.filter((k) => /\bupsert_by_key\b/i.test(k.text));
  return inserts.length === 1 ? embeddable(inserts[0]!) : null;
}

/** The statements `run` hands its `db` (answered with no rows), instead of running them. */
async function keptStatements(run: (db: unknown) => Promise<unknown>): Promise<{ text: string; values: unknown[] }[]> {
  const kept: { text: string; values: unknown[] }[] = [];
  const keeper = {
    executeSql: (text: string, values: unknown[] = []) => {
      kept.push({ text, values });
      return Promise.resolve({ rows: [] });
    },
  };
  await run(keeper);
  return kept;
}

function embeddable(kept: { text: string; values: unknown[] }): EmbeddableJobInsert | null {
  if (kept.values.length !== 1) return null;
  const wrapped = /^\s*with\s+ins\s+as\s*\(([\s\S]*)\),\s*notified\s+as\s*\(\s*select\s+pg_notify\(/i.exec(kept.text);
  const insert = wrapped ? wrapped[1]!.trim() : kept.text;
  const params = new Set(insert.match(/\$\d+/g));
  if (params.size !== 1 || !params.has('$1') || !/^\s*insert\s+into\s/i.test(insert) || !/\breturning\s+id(\s*,\s*start_after)?\s*$/i.test(insert)) return null;
  return { insert, notify: Boolean(wrapped), returnsStartAfter: /\breturning\s+id\s*,\s*start_after\s*$/i.test(insert) };
}

/**
 * An embedded insert as CTEs of a larger statement: `job` (the INSERT, its $1 replaced by `jobs`, an
 * SQL expression of the jobs' JSON) and, for a queue pg-boss wakes on send, `notified` (one
 * pg_notify when a job inserted can run now, as pg-boss's own wrapper does, on the channel
 * jobsInsertedNotify names). `columns` reads both
 * (a SELECT CTE runs only when referenced): `jobs`, how many were inserted, and `notified`.
 * `notify: false`: no NOTIFY even so, the caller wakes the workers itself after the commit.
 */
export function jobCtes(insert: EmbeddableJobInsert, queue: string, jobs = '$1', opts: { notify?: boolean } = {}): { ctes: string; columns: string } {
  const job = `job as (${insert.insert.replaceAll('$1', () => jobs)})`;
  if (!insert.notify || opts.notify === false) return { ctes: job, columns: `(select count(*) from job)::int as "jobs"` };
  const runnable = insert.returnsStartAfter ? `where start_after <= ${bossSchema}.job_now()` : '';
  return {
    ctes: `${job},
      notified as (select ${jobsInsertedNotify(queue)} from job ${runnable} limit 1)`,
    columns: `(select count(*) from job)::int as "jobs", (select count(*) from notified)::int as "notified"`,
  };
}
