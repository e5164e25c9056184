import { AppError, ErrorCode } from '#shared/errors.ts';

/** Position after the last row of a page ordered by (created_at desc, id desc). */
export interface KeysetCursor {
  createdAt: Date;
  id: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export function encodeCursor(c: KeysetCursor): string {
  return Buffer.from(`${c.createdAt.toISOString()}|${c.id}`, 'utf8').toString('base64url');
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Accepts exactly what `encodeCursor` makes. A forged cursor must fail here, not in Postgres: the
 * time must be `toISOString` output (a four-digit year, within Postgres' range) and the id a uuid.
 */
export function decodeCursor(cursor: string): KeysetCursor {
  const [iso = '', id = '', extra] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const createdAt = new Date(iso);
  const valid = extra === undefined && /^\d{4}-/.test(iso) && !Number.isNaN(createdAt.getTime()) && createdAt.toISOString() === iso && uuidPattern.test(id);
  if (!valid) {
    throw new AppError(ErrorCode.Validation, 'invalid page cursor', { details: { cursor } });
  }
  return { createdAt, id };
}

/** Fetch one row more than the page size; its presence means there is a next page. */
export function toPage<T extends { createdAt: Date; id: string }>(rows: T[], limit: number): Page<T> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
}
