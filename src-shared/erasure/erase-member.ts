import type pg from 'pg';
import type { PgBoss } from 'pg-boss';
import type { GenerationOutput } from '#shared/db/entities/generation.ts';
import { withTransaction, type Db } from '#shared/db/pool.ts';
import { insertAudit } from '#shared/db/sql/audit.ts';
import {
  activeGenerationsOf, clearErasurePending, countActiveGenerationsOf, deleteFinishedGenerationsOf, deleteUsageOf, finishedOutputsOf, markErasurePending,
} from '#shared/db/sql/erasure.ts';
import { AppError, ErrorCode } from '#shared/errors.ts';
import { requestCancel } from '#shared/generation/cancel.ts';
import { deleteKeys } from '#shared/storage/delete-keys.ts';
import { outputKeys } from '#shared/storage/output-keys.ts';
import type { ImageStorage } from '#shared/storage/storage.ts';

export interface ErasureDeps {
  pool: pg.Pool;
  boss: PgBoss;
  storage: ImageStorage;
}

export interface ErasureResult {
  userId: string;
  generations: number;
  files: number;
  /** Requests that were on a GPU: cancelled, and erased by `cleanup` once they stop. */
  stillStopping: number;
}

/** A Discord user id, checked strictly: it becomes a storage prefix, and '' would name everything. */
const snowflake = /^\d{17,20}$/;

/**
 * Erases everything of one member: their queued work is cancelled (running work is asked to stop),
 * then the files under their storage prefix (originals, thumbnails, anything else there), their
 * finished generation rows and their limiter usage, with an audit row (`actor`, counts) in the same
 * transaction as the rows. Work still stopping leaves a `pending_erasure` row that `cleanup` finishes.
 * Only the ImageStorage interface is used (list + delete), so every backend is covered.
 */
export async function eraseMember(deps: ErasureDeps, userId: string, actor: string): Promise<ErasureResult> {
  if (!snowflake.test(userId)) throw new AppError(ErrorCode.Validation, 'expected a Discord user id', { details: { userId } });
  const db: Db = { executeSql: (text, values) => deps.pool.query(text, values) as never };
  const active = activeGenerationsOf(userId);
  for (const { id } of (await db.executeSql<{ id: string }>(active.text, active.values)).rows) {
    await requestCancel(deps.pool, deps.boss, id).catch((err: unknown) => {
      // Finished or already stopping meanwhile: either way it is not waiting any more.
      if (!(err instanceof AppError && (err.code === ErrorCode.InvalidTransition || err.code === ErrorCode.NotFound))) throw err;
    });
  }
  const outputs = finishedOutputsOf(userId);
  const rowKeys = (await db.executeSql<{ outputs: GenerationOutput[] }>(outputs.text, outputs.values)).rows.flatMap((r) => r.outputs.filter((o) => o.status !== 'expired').flatMap(outputKeys));
  let files = await removeUnder(deps.storage, `${userId}/`, rowKeys);
  const result = await withTransaction(deps.pool, async (tx) => {
    const erased = deleteFinishedGenerationsOf(userId);
    const generations = (await tx.executeSql(erased.text, erased.values)).rowCount ?? 0;
    await tx.executeSql(deleteUsageOf(userId).text, deleteUsageOf(userId).values);
    const left = countActiveGenerationsOf(userId);
    const stillStopping = (await tx.executeSql<{ n: number }>(left.text, left.values)).rows[0]?.n ?? 0;
    const pending = stillStopping > 0 ? markErasurePending(userId) : clearErasurePending(userId);
    await tx.executeSql(pending.text, pending.values);
    const audit = insertAudit({ actor, action: 'user.erase', entity: 'user', entityId: userId, before: null, after: { generations, files, stillStopping } });
    await tx.executeSql(audit.text, audit.values);
    return { userId, generations, files, stillStopping };
  });
  // A thumbnail written between the listing and the row deletion is found now.
  if (result.stillStopping === 0) files += await removeUnder(deps.storage, `${userId}/`, []);
  return { ...result, files };
}

/** Deletes the given keys (the member's rows name them) and every object under `prefix`; returns how many that was. */
async function removeUnder(storage: ImageStorage, prefix: string, keys: string[]): Promise<number> {
  const all = new Set(keys);
  for await (const object of storage.list(prefix)) all.add(object.key);
  await deleteKeys(storage, [...all]);
  return all.size;
}
