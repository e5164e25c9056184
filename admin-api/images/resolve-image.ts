import { AppError, ErrorCode } from '#shared/errors.ts';
import { parseThumbnailName } from '#shared/images/image-paths.ts';
import type { ImageRecord } from './outputs-cache.ts';
import type { ImageParams } from './params.ts';

/** Which stored object answers a request, and what the database says about it. */
export interface ResolvedImage {
  key: string;
  contentType: string;
  filename: string;
  sha256?: string;
  bytes?: number;
}

const typeByExtension: Record<string, string> = { png: 'image/png', webp: 'image/webp', jpg: 'image/jpeg' };

/**
 * Picks the object for an output (original or one thumbnail) from the generation's outputs; the
 * storage key always comes from the row, never from the URL. `undefined` record: no such generation.
 */
export function resolveImage(record: ImageRecord | undefined, params: ImageParams): ResolvedImage {
  const what = `image ${params.index} of generation ${params.generationId}`;
  if (!record) throw new AppError(ErrorCode.NotFound, `generation ${params.generationId} not found`);
  if (record.deletedAt) {
    throw new AppError(ErrorCode.Gone, `generation ${params.generationId} was deleted`, { details: { reason: 'deleted' } });
  }
  const output = record.outputs.find((o) => o.index === params.index);
  if (!output) throw new AppError(ErrorCode.NotFound, `generation ${params.generationId} has no image ${params.index}`);
  if (output.status === 'expired') {
    throw new AppError(ErrorCode.Gone, `${what} was removed by the retention policy`, { details: { reason: 'expired' } });
  }
  if (output.status !== 'stored' || !output.path) throw new AppError(ErrorCode.NotFound, `${what} was never stored`);
  const filenameBase = `${params.generationId.slice(0, 8)}_${params.index}`;
  if (!params.name) {
    const ext = output.path.slice(output.path.lastIndexOf('.') + 1);
    return {
      key: output.path,
      contentType: typeByExtension[ext] ?? 'application/octet-stream',
      filename: `${filenameBase}.${ext}`,
      ...(output.sha256 ? { sha256: output.sha256 } : {}),
      ...(output.bytes !== undefined ? { bytes: output.bytes } : {}),
    };
  }
  const { size, format } = parseThumbnailName(params.name);
  const thumb = output.thumbnails?.find((t) => t.size === size && t.format === format);
  if (!thumb) throw new AppError(ErrorCode.NotFound, `${what} has no ${params.name} thumbnail (yet)`);
  return {
    key: thumb.path,
    contentType: format === 'jpeg' ? 'image/jpeg' : 'image/webp',
    filename: `${filenameBase}_${params.name}`,
    ...(thumb.sha256 ? { sha256: thumb.sha256 } : {}),
    bytes: thumb.bytes,
  };
}
