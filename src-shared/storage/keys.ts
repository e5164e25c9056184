import { AppError, ErrorCode } from '#shared/errors.ts';

const snowflake = /^\d{1,20}$/;
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const extension = /^(png|webp|jpg)$/;

function check(ok: boolean, what: string, value: unknown): void {
  if (!ok) throw new AppError(ErrorCode.Validation, `invalid ${what} for a storage key`, { details: { [what]: value } });
}

/**
 * `<user id>/<yyyy>/<mm>/<dd>/<generation id>/` — one user's data is one folder, and every part
 * comes from ids and dates, never from user text.
 */
export function generationPrefix(userId: string, createdAt: Date, generationId: string): string {
  check(snowflake.test(userId), 'userId', userId);
  check(uuid.test(generationId), 'generationId', generationId);
  check(!Number.isNaN(createdAt.getTime()), 'createdAt', createdAt);
  const iso = createdAt.toISOString();
  return `${userId}/${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)}/${generationId.toLowerCase()}/`;
}

export function originalKey(prefix: string, index: number, ext = 'png'): string {
  check(Number.isInteger(index) && index >= 0 && index < 1000, 'index', index);
  check(extension.test(ext), 'extension', ext);
  return `${prefix}${index}.${ext}`;
}

export function thumbnailKey(prefix: string, index: number, size: number, format: 'webp' | 'jpeg'): string {
  check(Number.isInteger(size) && size > 0 && size <= 4096, 'size', size);
  return `${prefix}thumbs/${index}_${size}.${format === 'jpeg' ? 'jpg' : 'webp'}`;
}

/** A key thumbnailKey made. */
export const isThumbnailKey = (key: string): boolean => /\/thumbs\/\d+_\d+\.(webp|jpg)$/.test(key);

/** Keys are relative, forward-slash paths of safe segments; anything else is refused. */
export function assertSafeKey(key: string): void {
  const ok = key.length > 0 && key.length < 512 && key.split('/').every((seg) => /^[A-Za-z0-9_.-]+$/.test(seg) && seg !== '.' && seg !== '..');
  check(ok, 'key', key);
}

/** `<user id>/inputs/<sha256>.png`: a picture a member gave to start from (erased with the member's folder). */
export function inputImageKey(userId: string, sha256: string): string {
  check(snowflake.test(userId), 'userId', userId);
  check(/^[0-9a-f]{64}$/.test(sha256), 'sha256', sha256);
  return `${userId}/inputs/${sha256}.png`;
}

/** A key made by `inputImageKey` (an upscale starts from another generation's output key instead). */
export const isInputImageKey = (key: string): boolean => /^\d+\/inputs\/[0-9a-f]{64}\.png$/.test(key);
