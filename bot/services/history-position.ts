import { AppError, ErrorCode } from '#shared/errors.ts';
import { generationStatuses, type GenerationStatus } from '#shared/db/value-lists.ts';
import type { HistoryPosition } from '../db/history-queries.ts';

/** What a `/generations` page button carries: the filters and where the next page starts. */
export interface HistoryTarget {
  status: GenerationStatus | null;
  /** Model registry id of the checkpoint filter (short enough for a custom id; looked up again). */
  modelId: number | null;
  from: HistoryPosition;
}

const toHex = (uuid: string) => uuid.replace(/-/g, '');
const fromHex = (hex: string) => `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;

/** The id part of a `gens` custom id (see custom-id.ts), under 90 characters in all. */
export function encodeHistoryTarget(t: HistoryTarget): string {
  return [t.from.direction === 'older' ? 'o' : 'n', t.status ?? '-', t.modelId ?? '-', t.from.createdAt.getTime().toString(36), toHex(t.from.id)].join('.');
}

/** Reads an id part the codec already checked for shape; an unknown status or impossible time is refused. */
export function decodeHistoryTarget(id: string): HistoryTarget {
  const [dir, status, model, ms, hex] = id.split('.') as [string, string, string, string, string];
  const createdAt = new Date(parseInt(ms, 36));
  const known = status === '-' || (generationStatuses as readonly string[]).includes(status);
  if (!known || Number.isNaN(createdAt.getTime())) {
    throw new AppError(ErrorCode.CustomIdTampered, 'This button is not one of ours or is out of date.', { status: 400, expose: true, details: { id } });
  }
  return {
    status: status === '-' ? null : (status as GenerationStatus),
    modelId: model === '-' ? null : Number(model),
    from: { direction: dir === 'o' ? 'older' : 'newer', createdAt, id: fromHex(hex) },
  };
}
