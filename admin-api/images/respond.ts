import type { RouterContext } from '@koa/router';
import { AppError, ErrorCode } from '#shared/errors.ts';
import type { OpenedObject } from '#shared/storage/storage.ts';
import type { ImageAccess } from './access.ts';
import { multipartLayout, objectBody } from './body.ts';
import { evaluatePreconditions } from './preconditions.ts';
import { planRanges } from './ranges.ts';
import type { ResolvedImage } from './resolve-image.ts';

const yearSeconds = 365 * 86_400;

/**
 * The image's validators (its sha256 as ETag, Last-Modified to the second) and what the request's
 * conditional headers make of them; 412 when If-Match or If-Unmodified-Since does not hold.
 */
export function imagePreconditions(ctx: RouterContext, opened: OpenedObject & { sha256: string }): { etag: string; lastModified: Date; outcome: 'proceed' | 'not-modified' } {
  const etag = `"${opened.sha256}"`;
  const lastModified = new Date(Math.floor(opened.modifiedAt.getTime() / 1000) * 1000);
  const outcome = evaluatePreconditions(
    {
      ifMatch: ctx.get('if-match') || undefined,
      ifUnmodifiedSince: ctx.get('if-unmodified-since') || undefined,
      ifNoneMatch: ctx.get('if-none-match') || undefined,
      ifModifiedSince: ctx.get('if-modified-since') || undefined,
    },
    etag,
    lastModified,
  );
  if (outcome === 'failed') throw new AppError(ErrorCode.PreconditionFailed, 'If-Match or If-Unmodified-Since does not hold for this image');
  return { etag, lastModified, outcome };
}

/**
 * Answers with a verified, opened image: 412/304 from the preconditions, 416 or 206 from Range,
 * else 200. Headers that describe a success are set only on the way to one, so an error keeps the
 * API's `no-store` and JSON type. The opened file is closed by its body, here on a 304, and by the
 * caller when this throws.
 */
export function respond(ctx: RouterContext, image: ResolvedImage, opened: OpenedObject & { sha256: string }, access: ImageAccess): void {
  const { etag, lastModified, outcome } = imagePreconditions(ctx, opened);
  ctx.set('ETag', etag);
  ctx.set('Last-Modified', lastModified.toUTCString());
  ctx.set('Accept-Ranges', 'bytes');
  if (outcome === 'not-modified') {
    setCaching(ctx, access);
    ctx.status = 304;
    void opened.close();
    return;
  }
  const plan = planRanges({
    method: ctx.method,
    range: ctx.get('range') || undefined,
    ifRange: ctx.get('if-range') || undefined,
    size: opened.bytes,
    etag,
    lastModified,
  });
  if (plan.kind === 'unsatisfiable') {
    ctx.set('Content-Range', `bytes */${opened.bytes}`);
    throw new AppError(ErrorCode.RangeNotSatisfiable, plan.reason, { details: { size: opened.bytes } });
  }
  setCaching(ctx, access);
  ctx.set('Content-Disposition', `inline; filename="${image.filename}"`);
  if (plan.kind === 'full') {
    ctx.set('Content-Type', image.contentType);
    ctx.body = objectBody(opened, { start: 0, end: opened.bytes - 1 });
    ctx.length = opened.bytes;
    return;
  }
  ctx.status = 206;
  if (plan.ranges.length === 1) {
    const [range] = plan.ranges as [{ start: number; end: number }];
    ctx.set('Content-Type', image.contentType);
    ctx.set('Content-Range', `bytes ${range.start}-${range.end}/${opened.bytes}`);
    ctx.body = objectBody(opened, range);
    ctx.length = range.end - range.start + 1;
    return;
  }
  const layout = multipartLayout(plan.ranges, opened.bytes, image.contentType);
  ctx.set('Content-Type', layout.contentType);
  ctx.body = objectBody(opened, layout);
  ctx.length = layout.length;
}

/** Immutable for as long as the way in is valid: a signed link's cache life ends when the link does. */
function setCaching(ctx: RouterContext, access: ImageAccess): void {
  const maxAge = access.by === 'link' ? Math.max(0, Math.min(yearSeconds, access.expires - Math.floor(Date.now() / 1000))) : yearSeconds;
  ctx.set('Cache-Control', `private, max-age=${maxAge}, immutable`);
}
