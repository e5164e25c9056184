import type { PgBoss } from 'pg-boss';

/**
 * The statement pg-boss's own `insert(queue, jobs, { returnId: true })` runs, for running inside a
 * larger statement of ours (the enqueue makes its jobs, rows and limiter counts in one round trip).
 * pg-boss builds it (its queue cache, table, defaults and columns): we hand insert() a `db` adapter,
 * a documented option, that keeps the statement instead of running it. Null when the statement is
 * not one we can embed: a single INSERT whose only parameter is $1, the jobs as a JSON array
 * (objects with id, data, priority, as insert() takes them). A queue with pg-boss's notify-on-send
 * is such a case (its statement is a WITH), and so would be a future pg-boss that changes the shape;
 * the caller then inserts the jobs with insert() itself.
 */
export async function jobInsertSql(boss: PgBoss, queue: string): Promise<string | null> {
  let kept: { text: string; values: unknown[] } | undefined;
  const keeper = {
    executeSql: (text: string, values: unknown[] = []) => {
      kept = { text, values };
      return Promise.resolve({ rows: [] });
    },
  };
  await boss.insert(queue, [], { db: keeper as never, returnId: true });
  if (!kept || kept.values.length !== 1) return null;
  const params = new Set(kept.text.match(/\$\d+/g));
  if (params.size !== 1 || !params.has('$1') || !/^\s*insert\s+into\s/i.test(kept.text) || !/\breturning\s+id\s*$/i.test(kept.text)) return null;
  return kept.text;
}
