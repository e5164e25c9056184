import type { PgBoss } from 'pg-boss';
import type pg from 'pg';
import { withTransaction } from '#shared/db/pool.ts';
import { GenerationRepository, type GenerationRow } from '#shared/db/repositories/generation-repository.ts';
import { succeedGeneration, succeedGenerationWithJob, type TransitionPatch } from '#shared/db/sql/generations.ts';
import type { GenerationOutput } from '#shared/db/entities/generation.ts';
import type { Logger } from '#shared/logging.ts';
import { AppError, ErrorCode } from '#shared/errors.ts';
import { finalDeliveryJobJson, sendDelivery } from '#shared/queue/send-delivery.ts';
import { jobInsertSql, type EmbeddableJobInsert } from '#shared/queue/job-insert-sql.ts';
import { announceLineMoved } from '#shared/queue/send-live.ts';

type Ending = 'succeeded' | 'failed' | 'cancelled';
const deliverKind = { succeeded: 'result', failed: 'failure', cancelled: 'cancelled' } as const;

/**
 * Ends a generation and enqueues its delivery in one transaction, so an ending is never left
 * undelivered. Returns undefined when the generation had already ended (someone else settled it)
 * or no longer exists.
 */
export async function settle(
  pool: pg.Pool,
  boss: PgBoss,
  generationId: string,
  to: Ending,
  patch: TransitionPatch = {},
): Promise<GenerationRow | undefined> {
  try {
    const row = await withTransaction(pool, async (db) => {
      const row = await new GenerationRepository(db).transition(generationId, to, patch);
      await sendDelivery(boss, generationId, deliverKind[to], db);
      return row;
    });
    // A slot freed (or a waiting one left): the ETAs and places shown behind it change. Best effort,
    // after the commit: a lost announcement is repaired by the next move of the line.
    await announceLineMoved(boss).catch(() => undefined);
    return row;
  } catch (err) {
    // Already ended, or gone (deleted with its user's data): nothing left to settle.
    if (err instanceof AppError && (err.code === ErrorCode.InvalidTransition || err.code === ErrorCode.NotFound)) return undefined;
    throw err;
  }
}

/**
 * A success, the common ending, in one statement: the status change with its outputs, the
 * limiter's release, storage's recovery and the result's delivery job (that delivery enqueues the
 * thumbnails, see sendThumbnails); when pg-boss's insert cannot be embedded, the same in a
 * transaction. False when the generation had already ended (someone else settled it) or no longer
 * exists.
 *
 * `wakeDeliver`: wakes a deliver worker of this process, called after the commit in place of the
 * statement's NOTIFY. A NOTIFY makes Postgres serialise the commits of every notifying transaction
 * (one global lock held through the WAL flush): the success statement was the one most often
 * waiting on it in the throughput bench. The job is this process's to deliver; another process's
 * workers find it by their poll should this one die first.
 */
export async function settleSucceeded(
  ctx: { pool: pg.Pool; boss: PgBoss; logger: Logger }, g: GenerationRow, outputs: GenerationOutput[], opts: { wakeDeliver?: () => void } = {},
): Promise<boolean> {
  const delivery = await jobInsertSql(ctx.boss, 'deliver');
  const { succeeded, storageFailingSince } = delivery
    ? await succeedInOneStatement(ctx.pool, g, outputs, delivery, !opts.wakeDeliver)
    : await withTransaction(ctx.pool, async (db) => {
        const stmt = succeedGeneration(g.id, outputs);
        const row = (await db.executeSql<SucceedRow>(stmt.text, stmt.values)).rows[0]!;
        if (row.succeeded) await sendDelivery(ctx.boss, g.id, 'result', db);
        return row;
      });
  if (storageFailingSince) {
    ctx.logger.warn({ failingForSeconds: Math.round((Date.now() - storageFailingSince.getTime()) / 1000) }, 'image storage recovered; GPU work resumes');
  }
  if (succeeded && delivery) opts.wakeDeliver?.();
  if (succeeded) await announceLineMoved(ctx.boss).catch(() => undefined);
  return succeeded;
}

type SucceedRow = { succeeded: boolean; storageFailingSince: Date | null };

/** pg-boss's own insert of the delivery job, embedded: no BEGIN, no second statement, no COMMIT. */
async function succeedInOneStatement(pool: pg.Pool, g: GenerationRow, outputs: GenerationOutput[], delivery: EmbeddableJobInsert, notify: boolean): Promise<SucceedRow> {
  const stmt = succeedGenerationWithJob(g.id, outputs, { insert: delivery, queue: 'deliver', jobs: finalDeliveryJobJson(g.id, 'result'), notify });
  return (await pool.query<SucceedRow>({ name: stmt.name, text: stmt.text, values: stmt.values })).rows[0]!;
}

export const timeoutReason = 'This took too long and was stopped. Try fewer steps, a smaller size or a smaller batch.';

export function failWith(code: string, message: string): TransitionPatch {
  return { errorCode: code, errorMessage: message };
}
