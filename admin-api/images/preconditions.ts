/**
 * If-Match and If-Unmodified-Since (RFC 9110 §13.2.2 steps 1–2): true when the request must fail
 * with 412. If-None-Match and If-Modified-Since (steps 3–4, the 304 case) are Koa's `ctx.fresh`.
 */
export function failsPreconditions(
  headers: { ifMatch: string | undefined; ifUnmodifiedSince: string | undefined },
  etag: string,
  lastModified: Date,
): boolean {
  if (headers.ifMatch !== undefined) {
    const tags = headers.ifMatch.split(',').map((t) => t.trim());
    // Strong comparison: a weak tag never matches.
    return !(tags.includes('*') || tags.includes(etag));
  }
  if (headers.ifUnmodifiedSince !== undefined) {
    const since = Date.parse(headers.ifUnmodifiedSince);
    // An invalid date is ignored.
    return !Number.isNaN(since) && Math.floor(lastModified.getTime() / 1000) > Math.floor(since / 1000);
  }
  return false;
}
