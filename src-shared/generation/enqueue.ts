import type pg from 'pg';
import type { PgBoss } from 'pg-boss';
import { withTransaction, type Db } from '#shared/db/pool.ts';
import { GenerationRepository, type GenerationRow, type NewGeneration } from '#shared/db/repositories/generation-repository.ts';
import { queuePosition } from '#shared/db/sql/queue-position.ts';
import { sendJob } from '#shared/queue/send.ts';

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
 * never a job without a row. Jobs are grouped by user so one user's burst cannot starve others.
 */
export async function enqueueGeneration(
  pool: pg.Pool,
  boss: PgBoss,
  input: NewGeneration,
  before?: InTransaction,
): Promise<EnqueuedGeneration> {
  return withTransaction(pool, async (db) => {
    if (before) await before(db);
    const generation = await new GenerationRepository(db).create(input);
    const jobId = await sendJob(boss, 'generate', { generationId: generation.id }, { db, group: { id: input.userId } });
    if (!jobId) throw new Error(`generate job for ${generation.id} was not created`);
    const { text, values } = queuePosition(generation.id);
    const { rows } = await db.executeSql<{ position: number }>(text, values);
    return { generation, jobId, position: rows[0]?.position ?? 1 };
  });
}
