import type pg from 'pg';
import type { PgBoss } from 'pg-boss';
import { asDb, withTransaction } from '#shared/db/pool.ts';
import { mapDbError } from '#shared/db/db-errors.ts';
import type { GenerationRow, NewGeneration } from '#shared/db/repositories/generation-repository.ts';
import { insertJoinedGenerations } from '#shared/db/sql/generation-batch.ts';
import { joinShard } from '#shared/limits/counters.ts';
import { LimitError } from '#shared/limits/limit-error.ts';
import { Limiter, type LimitRequest } from '#shared/limits/limiter.ts';
import { screenGenerations } from '#shared/moderation/screen.ts';
import { sendJob } from '#shared/queue/send.ts';
import { wakeQueue } from '#shared/queue/wake.ts';

export interface EnqueuedGeneration {
  generation: GenerationRow;
  jobId: string;
  /** 1 = next to start. */
  position: number;
}

export interface EnqueueOptions {
  /** Checks and consumes the user's limits; without one nothing is capped, though requests are still counted. */
  limiter?: Limiter;
  /** The member's roles in the request's guild (role policies apply through them). */
  roleIds?: readonly string[];
}

/** What the limiter needs to know about a request. */
export function limitRequestOf(input: NewGeneration, roleIds: readonly string[] = []): LimitRequest {
  return { userId: input.userId, guildId: input.guildId, roleIds, images: input.batchSize, steps: input.steps, width: input.width, height: input.height };
}

/**
 * Creates the generation row and its `generate` job in ONE transaction, after the guild's moderation
 * (pause, blocklist, models; read beside the transaction) has screened it and the limiter has checked and consumed the user's
 * limits in that same transaction: never a row without a job, never a job without a row, never an
 * admitted request that was not counted. A refusal throws ModerationError or LimitError.
 *
 * Fairness: a user's k-th waiting request gets priority -k (on the row, and on its pg-boss job), and
 * free GPU slots go to the waiting request with the highest priority, then the oldest (see
 * scheduler/placement.ts). One user's burst of 20 is therefore interleaved with everyone else's
 * first request instead of blocking them (round-robin by user, decided at enqueue time).
 * k and the position in line come from the limiter's counters, not from counting the line.
 */
export async function enqueueGeneration(pool: pg.Pool, boss: PgBoss, input: NewGeneration, opts: EnqueueOptions = {}): Promise<EnqueuedGeneration> {
  const limiter = opts.limiter ?? Limiter.unlimited();
  const request = limitRequestOf(input, opts.roleIds);
  // The screening reads and the limiter's policy read lock nothing, so they run on their own
  // connections while the transaction begins (read committed: what they see is what they would see
  // inside it; why the policies may be read outside: Limiter.admit); three round trips fewer.
  const screening = screenGenerations(asDb(pool), [{ input, roleIds: opts.roleIds ?? [] }]);
  screening.catch(() => undefined);
  const policies = limiter.limitsFor(asDb(pool), [request]);
  policies.catch(() => undefined);
  const enqueued = await withTransaction(pool, async (db) => {
    const [refused] = await screening;
    if (refused) throw refused;
    const [admission] = await limiter.admit(db, [request], await policies);
    if (!admission!.ok) throw new LimitError(admission!.refusal, admission!.now);
    const priority = -admission!.activeBefore;
    // The job first, so the last statement can be the row and the waiting counter together.
    const jobId = await sendJob(boss, 'generate', { generationId: input.id }, { db, priority });
    if (!jobId) throw new Error(`generate job for ${input.id} was not created`);
    const insert = insertJoinedGenerations([{ ...input, chargedAt: admission!.chargedAt, queuePriority: priority }], joinShard());
    try {
      const [generation] = (await db.executeSql<GenerationRow>(insert.text, insert.values, insert.name)).rows;
      return { generation: generation!, jobId, position: admission!.waiting + 1 };
    } catch (err) {
      throw mapDbError(err, 'generation');
    }
  });
  wakeQueue(pool, 'generate');
  return enqueued;
}
