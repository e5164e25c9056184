import type pg from 'pg';
import type { PgBoss } from 'pg-boss';
import { withTransaction, type Db } from '#shared/db/pool.ts';
import { announceCancelRequested, wakeEveryWaiter } from '#shared/db/sql/slots.ts';
import { GenerationRepository, type GenerationRow } from '#shared/db/repositories/generation-repository.ts';
import { lockGeneration, waitingGenerateJobs } from '#shared/db/sql/generations.ts';
import { AppError, ErrorCode } from '#shared/errors.ts';
import type { GenerationStatus } from './status.ts';
import { sendDelivery } from '#shared/queue/send-delivery.ts';
import { announceLineMoved } from '#shared/queue/send-live.ts';

/**
 * A user's (or moderator's) cancel, by stage (DESIGN §4.4):
 * - not started: the pg-boss job is cancelled and the generation ends `cancelled` at once, with its
 *   "Cancelled" delivery enqueued in the same transaction;
 * - on a GPU (waiting in ComfyUI or running): `cancel_requested`; the generate job removes it from
 *   ComfyUI's queue or interrupts it, then ends it `cancelled`.
 * `onChange` runs in the same transaction after the change (the admin API writes its audit row there).
 */
export async function requestCancel(
  pool: pg.Pool,
  boss: PgBoss,
  generationId: string,
  opts: { onChange?: (db: Db, before: GenerationStatus, after: GenerationRow) => Promise<void> } = {},
): Promise<GenerationRow> {
  const row = await withTransaction(pool, async (db) => {
    const lock = lockGeneration(generationId);
    const { rows } = await db.executeSql<{ status: GenerationStatus }>(lock.text, lock.values);
    const status = rows[0]?.status;
    if (!status) throw new AppError(ErrorCode.NotFound, `generation ${generationId} not found`, { details: { generationId } });
    const repo = new GenerationRepository(db);
    if (status !== 'queued') {
      const requested = await repo.transition(generationId, 'cancel_requested', {}, ['running']);
      const announce = announceCancelRequested(generationId);
      await db.executeSql(announce.text, announce.values);
      await opts.onChange?.(db, status, requested);
      return requested;
    }
    const jobs = waitingGenerateJobs(generationId);
    const ids = (await db.executeSql<{ id: string }>(jobs.text, jobs.values)).rows.map((r) => r.id);
    if (ids.length) await boss.cancel('generate', ids, { db: db as never });
    const row = await repo.transition(generationId, 'cancelled', {}, ['queued']);
    const wake = wakeEveryWaiter();
    await db.executeSql(wake.text, wake.values);
    await sendDelivery(boss, generationId, 'cancelled', db);
    await opts.onChange?.(db, status, row);
    return row;
  });
  // Those waiting behind a cancelled request move up (best effort: the next move repairs a lost one).
  if (row.status === 'cancelled') await announceLineMoved(boss).catch(() => undefined);
  return row;
}
