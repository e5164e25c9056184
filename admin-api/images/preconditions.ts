export type PreconditionOutcome = 'proceed' | 'not-modified' | 'failed';

export interface ConditionalHeaders {
  ifMatch: string | undefined;
  ifUnmodifiedSince: string | undefined;
  ifNoneMatch: string | undefined;
  ifModifiedSince: string | undefined;
}

interface EntityTag {
  weak: boolean;
  opaque: string;
}

/** `*` or a list of entity tags; anything that is not a well-formed tag is skipped. */
function parseEntityTags(value: string): '*' | EntityTag[] {
  if (value.trim() === '*') return '*';
  return [...value.matchAll(/(W\/)?"([\x21\x23-\x7e\x80-\xff]*)"/g)].map((m) => ({ weak: m[1] !== undefined, opaque: m[2]! }));
}

/** Whole seconds, as HTTP dates carry them; undefined for an absent or invalid date (which is then ignored). */
function httpDateSeconds(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}

/**
 * The preconditions of a GET or HEAD, in RFC 9110 §13.2.2 order: If-Match (strong), else
 * If-Unmodified-Since → 412; If-None-Match (weak), else If-Modified-Since → 304. Written out
 * rather than taken from `fresh`: that package treats a request's `Cache-Control: no-cache` as
 * "never 304", which is a cache's rule, and fetch() sends it with every conditional request.
 */
export function evaluatePreconditions(headers: ConditionalHeaders, etag: string, lastModified: Date): PreconditionOutcome {
  const ours = etag.slice(1, -1);
  const modified = Math.floor(lastModified.getTime() / 1000);
  if (headers.ifMatch !== undefined) {
    const tags = parseEntityTags(headers.ifMatch);
    if (tags !== '*' && !tags.some((t) => !t.weak && t.opaque === ours)) return 'failed';
  } else {
    const since = httpDateSeconds(headers.ifUnmodifiedSince);
    if (since !== undefined && modified > since) return 'failed';
  }
  if (headers.ifNoneMatch !== undefined) {
    const tags = parseEntityTags(headers.ifNoneMatch);
    if (tags === '*' || tags.some((t) => t.opaque === ours)) return 'not-modified';
  } else {
    const since = httpDateSeconds(headers.ifModifiedSince);
    if (since !== undefined && modified <= since) return 'not-modified';
  }
  return 'proceed';
}
