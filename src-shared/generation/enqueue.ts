import type pg from 'pg';
import type { PgBoss } from 'pg-boss';
import type { NewGeneration } from '#shared/db/repositories/generation-repository.ts';
import { Limiter } from '#shared/limits/limiter.ts';
import { enqueueMany, type EnqueuedGeneration } from './enqueue-many.ts';

export { limitRequestOf, type EnqueuedGeneration } from './enqueue-many.ts';

export interface EnqueueOptions {
  /** Checks and consumes the user's limits; without one nothing is capped, though requests are still counted. */
  limiter?: Limiter;
  /** The member's roles in the request's guild (role policies apply through them). */
  roleIds?: readonly string[];
  /** See EnqueueManyOptions: true (the default) for a request enqueued on its own. */
  announceWithCommit?: boolean;
}

/**
 * Creates the generation row and its `generate` job in ONE transaction (enqueueMany: one statement),
 * after the guild's moderation (pause, blocklist, models; read before it) has screened it and the
 * limiter has checked and consumed the user's limits in that same transaction: never a row without a job, never a job without a row, never an
 * admitted request that was not counted. A refusal throws ModerationError or LimitError.
 *
 * Fairness: a user's k-th waiting request gets priority -k (on the row, and on its pg-boss job), and
 * free GPU slots go to the waiting request with the highest priority, then the oldest (see
 * scheduler/placement.ts). One user's burst of 20 is therefore interleaved with everyone else's
 * first request instead of blocking them (round-robin by user, decided at enqueue time).
 * k and the position in line come from the limiter's counters, not from counting the line.
 */
export async function enqueueGeneration(pool: pg.Pool, boss: PgBoss, input: NewGeneration, opts: EnqueueOptions = {}): Promise<EnqueuedGeneration> {
  const [result] = await enqueueMany(pool, boss, opts.limiter ?? Limiter.unlimited(), [{ input, roleIds: opts.roleIds ?? [] }], {
    announceWithCommit: opts.announceWithCommit ?? true,
  });
  if (result instanceof Error) throw result;
  return result!;
}
