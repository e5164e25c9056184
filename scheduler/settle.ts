import type { PgBoss } from 'pg-boss';
import type pg from 'pg';
import { withTransaction } from '#shared/db/pool.ts';
import { GenerationRepository, type GenerationRow } from '#shared/db/repositories/generation-repository.ts';
import type { TransitionPatch } from '#shared/db/sql/generations.ts';
import { AppError, ErrorCode } from '#shared/errors.ts';
import { sendDelivery } from '#shared/queue/send-delivery.ts';
import { sendJob } from '#shared/queue/send.ts';
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
  extra?: { thumbnail?: boolean },
): Promise<GenerationRow | undefined> {
  try {
    const row = await withTransaction(pool, async (db) => {
      const row = await new GenerationRepository(db).transition(generationId, to, patch);
      if (extra?.thumbnail) await sendJob(boss, 'thumbnail', { generationId }, { db });
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

export const timeoutReason = 'This took too long and was stopped. Try fewer steps, a smaller size or a smaller batch.';

export function failWith(code: string, message: string): TransitionPatch {
  return { errorCode: code, errorMessage: message };
}
