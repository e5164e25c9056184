import type { SqlStatement } from '#shared/db/pool.ts';
import { generationColumns } from '#shared/db/sql/generations.ts';
import type { GenerationStatus } from '#shared/generation/status.ts';

export interface HistoryFilters {
  userId: string;
  status: GenerationStatus | null;
  /** A checkpoint file name. */
  checkpoint: string | null;
}

/** A page position: the (created_at, id) of a row, and which way from it to read. */
export interface HistoryPosition {
  createdAt: Date;
  id: string;
  /** `older`: the page after it (newest first); `newer`: the page before it. */
  direction: 'older' | 'newer';
}

/**
 * One page of a user's history (deleted generations left out), newest first, by keyset: rows
 * arriving meanwhile never shift a page. Fetches `limit + 1` to tell whether more lie beyond; a
 * `newer` page is read in ascending order (the caller reverses it).
 */
export function historyPage(filters: HistoryFilters, limit: number, from?: HistoryPosition): SqlStatement {
  const values: unknown[] = [filters.userId];
  const where = ['user_id = $1', 'deleted_at is null'];
  if (filters.status) {
    values.push(filters.status);
    where.push(`status = $${values.length}`);
  }
  if (filters.checkpoint) {
    values.push(filters.checkpoint);
    where.push(`checkpoint = $${values.length}`);
  }
  let order = 'desc';
  if (from) {
    values.push(from.createdAt, from.id);
    const [t, i] = [values.length - 1, values.length];
    order = from.direction === 'older' ? 'desc' : 'asc';
    where.push(`(created_at, id) ${from.direction === 'older' ? '<' : '>'} ($${t}, $${i}::uuid)`);
  }
  values.push(limit + 1);
  return {
    text: `select ${generationColumns} from generation where ${where.join(' and ')}
      order by created_at ${order}, id ${order} limit $${values.length}`,
    values,
  };
}
