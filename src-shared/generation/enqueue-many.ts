import type pg from 'pg';
import type { PgBoss } from 'pg-boss';
import { asDb, withTransaction } from '#shared/db/pool.ts';
import { mapDbError } from '#shared/db/db-errors.ts';
import type { GenerationRow, NewGeneration } from '#shared/db/repositories/generation-repository.ts';
import { enqueueStatement, insertJoinedGenerations, type EnqueueStatementRow } from '#shared/db/sql/generation-batch.ts';
import { joinShard } from '#shared/limits/counters.ts';
import { LimitError } from '#shared/limits/limit-error.ts';
import type { Limiter, LimitRequest } from '#shared/limits/limiter.ts';
import type { Limits } from '#shared/limits/policy.ts';
import type { ConsumeResult } from '#shared/limits/sql.ts';
import { screenGenerations, type ScreenItem } from '#shared/moderation/screen.ts';
import { parsePayload } from '#shared/queue/contracts.ts';
import { jobInsertSql } from '#shared/queue/job-insert-sql.ts';
import { wakeGenerate } from '#shared/queue/wake.ts';

export interface EnqueuedGeneration {
  generation: GenerationRow;
  jobId: string;
  /** 1 = next to start. */
  position: number;
}

/**
 * A generation's own generate job has the generation's id: its success completes that job while it
 * still waits unfetched (succeedGeneration), as most do in a busy line, where whichever job gets a
 * slot runs the most deserving request and a request's own job is fetched after it ran.
 */
const ownJobId = (input: NewGeneration): string => input.id;

/** What the limiter needs to know about a request. */
export function limitRequestOf(input: NewGeneration, roleIds: readonly string[] = []): LimitRequest {
  return { userId: input.userId, guildId: input.guildId, roleIds, images: input.batchSize, steps: input.steps, width: input.width, height: input.height };
}

export interface EnqueueManyOptions {
  /**
   * The NOTIFY that wakes a scheduler (wakeGenerate) goes in the enqueue's own statement, so it leaves
   * with the commit: one round trip sooner. Only for a lone request: a NOTIFY in a transaction holds
   * Postgres's commit-time notify lock through its WAL flush, which serialises concurrent enqueues
   * (a 200-member burst's p99 rose from ~270 to ~360 ms). Otherwise it is a statement after the commit.
   */
  announceWithCommit?: boolean;
}

/** An admitted request, to be inserted: its priority and place in line are decided. */
interface Planned {
  index: number;
  input: NewGeneration;
  jobId: string;
  position: number;
}

/**
 * Enqueues `items` with the guarantees of enqueueGeneration, all or none: each item's answer in
 * order, its refusal (ModerationError, LimitError) or its queued generation. A failure before the
 * commit throws and nothing is enqueued; after it (explaining a refusal) it is the refused items' answer.
 *
 * The screening and the limiter's policy read lock nothing, so they run first on their own
 * connections (why the policies may be read outside the consume: Limiter.admit). Then, when each
 * user appears once, everything else is ONE statement in its own transaction (enqueueStatement):
 * two round trips after the request's own lookups where BEGIN, consume, job, rows and COMMIT were
 * five. Otherwise (a user twice, whose requests the limiter checks one after another) a transaction.
 */
export async function enqueueMany(
  pool: pg.Pool, boss: PgBoss, limiter: Limiter, items: readonly ScreenItem[], opts: EnqueueManyOptions = {},
): Promise<(EnqueuedGeneration | Error)[]> {
  const requests = items.map((w) => limitRequestOf(w.input, w.roleIds));
  const screening = screenGenerations(asDb(pool), items);
  screening.catch(() => undefined);
  const policies = limiter.limitsFor(asDb(pool), requests);
  policies.catch(() => undefined);
  // The generate queue is never woken by its insert: the schedulers are woken on their slot channel
  // (wakeGenerate's NOTIFY), see `announceWithCommit`.
  const jobInsert = jobInsertSql(boss, 'generate').then((j) => (j && !j.notify ? j.insert : null));
  jobInsert.catch(() => undefined);
  const [screened, limits, insert] = await Promise.all([screening, policies, jobInsert]);
  const results: (EnqueuedGeneration | Error | undefined)[] = screened.map((r) => r ?? undefined);
  const toAdmit = items.flatMap((_, i) => (screened[i] ? [] : [i]));
  const plan = insert ? limiter.planConsume(toAdmit.map((i) => requests[i]!), toAdmit.map((i) => limits[i]!)) : null;
  if (!insert || !plan) {
    const answers = await inTransaction(pool, boss, limiter, items, results, toAdmit, requests, limits);
    if (answers.some((r) => !(r instanceof Error))) wakeGenerate(pool);
    return answers;
  }
  const announce = opts.announceWithCommit ?? false;

  const db = asDb(pool);
  const pending = plan.pending.map((k) => toAdmit[k]!);
  const joining = pending.map((i) => ({ index: i, input: items[i]!.input, jobId: ownJobId(items[i]!.input) }));
  let rows: EnqueueStatementRow[] = [];
  if (joining.length) {
    const stmt = enqueueStatement(insert, plan.values, joining.map((j) => ({
      row: j.input, jobId: j.jobId, jobData: parsePayload('generate', { generationId: j.input.id }) as object,
    })), joinShard(), announce);
    try {
      rows = (await db.executeSql<EnqueueStatementRow>(stmt.text, stmt.values, stmt.name)).rows;
    } catch (err) {
      throw mapDbError(err, 'generation');
    }
  }
  // Committed: what follows must not fail the requests just queued (a caller would retry them).
  let k = 0;
  joining.forEach((j, n) => {
    const { _admitted, _activeBefore, _waiting, _now, _jobsMatch, _announced, ...generation } = rows[n]!;
    if (_admitted) results[j.index] = { generation: generation as unknown as GenerationRow, jobId: j.jobId, position: _waiting + ++k };
  });
  if (!announce && rows.some((r) => r._admitted)) wakeGenerate(pool);
  const out = rows.map((r, n): ConsumeResult => ({ userId: joining[n]!.input.userId, admitted: r._admitted, activeBefore: r._activeBefore, waiting: r._waiting, now: r._now }));
  // Explaining a refusal reads the user's usage; if that fails, only the refused get the error.
  const admissions = await limiter.settle(db, toAdmit.map((i) => requests[i]!), toAdmit.map((i) => limits[i]!), plan, out)
    .catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
  toAdmit.forEach((i, n) => {
    if (results[i]) return;
    if (admissions instanceof Error) results[i] = admissions;
    else {
      const a = admissions[n]!;
      if (!a.ok) results[i] = new LimitError(a.refusal, a.now);
    }
  });
  return results as (EnqueuedGeneration | Error)[];
}

/** The general path: the consume, the jobs, then the rows with the waiting counter, in one transaction. */
async function inTransaction(
  pool: pg.Pool, boss: PgBoss, limiter: Limiter, items: readonly ScreenItem[], results: (EnqueuedGeneration | Error | undefined)[],
  toAdmit: number[], requests: LimitRequest[], limits: Limits[],
): Promise<(EnqueuedGeneration | Error)[]> {
  return withTransaction(pool, async (db) => {
    const admissions = await limiter.admit(db, toAdmit.map((i) => requests[i]!), toAdmit.map((i) => limits[i]!));
    const admitted = toAdmit.flatMap((index, k) => {
      const a = admissions[k]!;
      if (!a.ok) results[index] = new LimitError(a.refusal, a.now);
      return a.ok ? [{ index, a }] : [];
    });
    // Every admission in one transaction saw the same line; the batch joins it in order.
    const planned = admitted.map(({ index, a }, k): Planned => ({
      index, input: { ...items[index]!.input, chargedAt: a.chargedAt, queuePriority: -a.activeBefore }, jobId: ownJobId(items[index]!.input), position: a.waiting + k + 1,
    }));
    if (!planned.length) return results as Error[];
    // The jobs first, so the last statement can be the rows and the waiting counter together.
    await boss.insert(
      'generate',
      planned.map((p) => ({ id: p.jobId, data: parsePayload('generate', { generationId: p.input.id }), priority: p.input.queuePriority })),
      { db: db as never },
    );
    const insert = insertJoinedGenerations(planned.map((p) => p.input), joinShard());
    let rows: GenerationRow[];
    try {
      rows = (await db.executeSql<GenerationRow>(insert.text, insert.values, insert.name)).rows;
    } catch (err) {
      throw mapDbError(err, 'generation');
    }
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const { index, input, jobId, position } of planned) results[index] = { generation: byId.get(input.id)!, jobId, position };
    return results as (EnqueuedGeneration | Error)[];
  });
}
