import type pg from 'pg';
import type { PgBoss } from 'pg-boss';
import { withTransaction, type Db } from '#shared/db/pool.ts';
import { GenerationRepository, type GenerationRow, type NewGeneration } from '#shared/db/repositories/generation-repository.ts';
import { lineStats } from '#shared/db/sql/queue-position.ts';
import { sendJob } from '#shared/queue/send.ts';
import { wakeQueue } from '#shared/queue/wake.ts';

export interface EnqueuedGeneration {
  generation: GenerationRow;
  jobId: string;
  /** 1 = next to start. */
  position: number;
}

/** Extra work that must commit or roll back with the generation (e.g. consuming limits). */
export type InTransaction = (db: Db) => Promise<void>;

/**
 * Creates the generation row and its `generate` job in ONE transaction: never a row without a job,
 * never a job without a row.
 *
 * Fairness: a user's k-th waiting request gets pg-boss priority -k, and pg-boss fetches by priority
 * before age. One user's burst of 20 is therefore interleaved with everyone else's first request
 * instead of blocking them (round-robin by user, decided at enqueue time, no extra scheduler state).
 */
export async function enqueueGeneration(
  pool: pg.Pool,
  boss: PgBoss,
  input: NewGeneration,
  before?: InTransaction,
): Promise<EnqueuedGeneration> {
  const enqueued = await withTransaction(pool, async (db) => {
    if (before) await before(db);
    const line = lineStats(input.userId);
    const { rows } = await db.executeSql<{ priority: number; position: number }>(line.text, line.values);
    const generation = await new GenerationRepository(db).create(input);
    const jobId = await sendJob(boss, 'generate', { generationId: generation.id }, { db, priority: rows[0]?.priority ?? 0 });
    if (!jobId) throw new Error(`generate job for ${generation.id} was not created`);
    return { generation, jobId, position: rows[0]?.position ?? 1 };
  });
  wakeQueue(pool, 'generate');
  return enqueued;
}
