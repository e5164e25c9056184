/**
 * What a failed ComfyUI HTTP call means: retry it or not, could it have reached the server, and
 * how to say why. The shapes are undici `request()`'s: the socket or DNS error itself (`code`
 * ECONNREFUSED, ECONNRESET, ENOTFOUND…), undici's own errors (`code` UND_ERR_*, HPE_* for a
 * malformed answer), and our Deadline's TimeoutError.
 */
import { truncate } from '#shared/render/limits.ts';

/** A 5xx answer, retried like a connection error. */
export class ServerError extends Error {
  readonly status: number;
  constructor(status: number, body: string) {
    super(`HTTP ${status}${body ? `: ${truncate(body, 200)}` : ''}`);
    this.status = status;
  }
}

/** Failures of our call, not of the connection: retrying cannot help. */
const notTransient = new Set(['UND_ERR_INVALID_ARG', 'UND_ERR_NOT_SUPPORTED', 'UND_ERR_ABORTED', 'UND_ERR_DESTROYED', 'UND_ERR_CLOSED', 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH']);

/** The connect or DNS step failed: no byte of the request left this process. */
const unsent = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH']);

const timeouts = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

function codeOf(err: unknown): string | undefined {
  // DOMException has a numeric `code`: only string codes name a failure.
  const code = err instanceof Error ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

const timedOut = (err: unknown): boolean => err instanceof Error && err.name === 'TimeoutError';

/**
 * A 5xx, a timeout, or any failure of the connection (socket, DNS, TLS, a malformed answer). Only
 * ServerError and what undici's request() rejects with reach it, so every string code but those of
 * a bad argument names a connection failure (as fetch wrapped them all in TypeError('fetch failed')).
 */
export function isRetryable(err: unknown): boolean {
  if (err instanceof ServerError || timedOut(err)) return true;
  const code = codeOf(err);
  return code !== undefined && !notTransient.has(code) && !code.startsWith('ERR_INVALID_');
}

/** True when the request certainly never reached the server (nothing to deduplicate). */
export function neverSent(err: unknown): boolean {
  const code = codeOf(err);
  return code !== undefined && unsent.has(code);
}

export function reasonOf(err: unknown): string {
  if (err instanceof ServerError) return `it answered ${err.message}`;
  const code = codeOf(err);
  if (timedOut(err) || (code !== undefined && timeouts.has(code))) return 'the request timed out';
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return 'connecting timed out';
  if (code === 'UND_ERR_SOCKET') return `the connection closed (${err instanceof Error ? err.message : ''})`;
  return code ?? (err instanceof Error ? err.message : String(err));
}

export function unavailableMessage(where: string, method: string, path: string, attempts: number, err: unknown): string {
  const what = err instanceof ServerError ? 'failed' : 'could not be reached';
  return `ComfyUI at ${where} ${what} (${method} ${path}, ${attempts} attempt${attempts === 1 ? '' : 's'}: ${reasonOf(err)}) — check that it is running and reachable`;
}
