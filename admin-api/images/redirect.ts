import type { RouterContext } from '@koa/router';
import type { ImageStorage, OpenedObject } from '#shared/storage/storage.ts';
import type { ImageAccess } from './access.ts';
import type { ResolvedImage } from './resolve-image.ts';
import { imagePreconditions } from './respond.ts';

/** A presigned link lives this long at most, and never longer than the signed link that led to it. */
export const presignedSeconds = 300;

/**
 * `S3_SERVE=redirect`: after the same access, lookup and size check as streaming, answers 412/304
 * from the preconditions itself, else 302 to a short-lived presigned URL of the object; the store
 * then answers ranges and conditional requests. The redirect itself is never cached.
 */
export async function redirectToStore(
  ctx: RouterContext,
  presign: NonNullable<ImageStorage['presign']>,
  image: ResolvedImage,
  opened: OpenedObject & { sha256: string },
  access: ImageAccess,
): Promise<void> {
  const { etag, outcome } = imagePreconditions(ctx, opened);
  const left = access.by === 'link' ? access.expires - Math.floor(Date.now() / 1000) : presignedSeconds;
  const expiresInSeconds = Math.max(1, Math.min(presignedSeconds, left));
  if (outcome === 'not-modified') {
    ctx.set('ETag', etag);
    ctx.set('Cache-Control', `private, max-age=${expiresInSeconds}, immutable`);
    ctx.status = 304;
    return;
  }
  const url = await presign(image.key, {
    expiresInSeconds,
    contentType: image.contentType,
    contentDisposition: `inline; filename="${image.filename}"`,
    cacheControl: `private, max-age=${expiresInSeconds}, immutable`,
  });
  ctx.set('Cache-Control', 'no-store');
  ctx.set('Location', url);
  ctx.status = 302;
}
