import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../logging.ts';
import { AppError, ErrorCode } from '../errors.ts';
import { episodeLength, FailureEpisode } from '../failure-episode.ts';
import { backoffDelay, type BackoffPolicy } from './backoff.ts';
import { truncate } from '#shared/render/limits.ts';
import { countOutageFailure } from '#shared/metrics/outage-metrics.ts';

export interface RequestOptions {
  method?: 'GET' | 'POST';
  /** Already-serialized JSON body, or a multipart form (fetch sets its content type). */
  body?: string | FormData;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Log context, e.g. `{ promptId }`. */
  context?: Record<string, unknown>;
  /** Overrides the transport's retry count for this call. */
  retries?: number;
  /**
   * Called before each retry. A Response ends the call with it; 'skip' spends the attempt without
   * sending. Used by submit to notice that an ambiguous failure did reach the server, so a prompt
   * is never submitted twice.
   */
  beforeRetry?: (error: unknown) => Promise<Response | 'skip' | undefined>;
}

export interface TransportOptions {
  /** May carry a path (a reverse proxy's prefix); every request path is appended to it. */
  baseUrl: string;
  /** Sent as the `Authorization` header on every request; never logged. */
  authorization?: string;
  logger: Logger;
  timeoutMs: number;
  retries: number;
  backoff: BackoffPolicy;
}

/** A 5xx answer, retried like a connection error. */
class ServerError extends Error {
  readonly status: number;
  constructor(status: number, body: string) {
    super(`HTTP ${status}${body ? `: ${truncate(body, 200)}` : ''}`);
    this.status = status;
  }
}

/** fetch with a per-call timeout and retries (backoff + jitter) on connection errors and 5xx only. */
export class HttpTransport {
  readonly #opts: TransportOptions;
  readonly #base: string;
  /** Failed attempts of every call to this server form one outage: logged when it starts, reminded, and once recovered. */
  readonly #outage = new FailureEpisode();

  constructor(opts: TransportOptions) {
    this.#opts = opts;
    this.#base = opts.baseUrl.replace(/\/+$/, '');
  }

  /** `path` starts with `/`; it is appended to the base URL, keeping the base URL's own path. */
  url(path: string): string {
    return `${this.#base}${path}`;
  }

  /** Resolves with any response below 500; throws ComfyUnavailable once retries are spent. */
  async request(path: string, opts: RequestOptions = {}): Promise<Response> {
    const method = opts.method ?? 'GET';
    const attempts = (opts.retries ?? this.#opts.retries) + 1;
    let lastError: unknown;
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) {
        const delay = backoffDelay(attempt - 1, this.#opts.backoff);
        this.#opts.logger.debug({ ...opts.context, method, path, attempt, delay, err: lastError }, 'ComfyUI request failed, retrying');
        await sleep(delay, undefined, { signal: opts.signal });
        const settled = await opts.beforeRetry?.(lastError);
        if (settled === 'skip') continue;
        if (settled) return settled;
      }
      try {
        const res = await this.#fetchOnce(path, method, opts);
        if (res.status >= 500) throw new ServerError(res.status, await res.text().catch(() => ''));
        this.#answered();
        return res;
      } catch (err) {
        if (opts.signal?.aborted) throw opts.signal.reason;
        if (!isRetryable(err)) throw err;
        lastError = err;
        this.#failed(err);
      }
    }
    throw new AppError(ErrorCode.ComfyUnavailable, unavailableMessage(this.#opts.baseUrl, method, path, attempts, lastError), {
      status: 503,
      cause: lastError,
      details: { attempts, status: lastError instanceof ServerError ? lastError.status : undefined, ...opts.context },
    });
  }

  #failed(err: unknown): void {
    const verdict = this.#outage.failure();
    countOutageFailure('comfyui_http', verdict);
    const where = this.#opts.baseUrl;
    if (verdict.report === 'started') this.#opts.logger.warn({ err }, `ComfyUI at ${where} unreachable; retrying (one line when it recovers)`);
    else if (verdict.report === 'ongoing') {
      this.#opts.logger.error({ err, failures: verdict.failures }, `ComfyUI at ${where} still unreachable after ${episodeLength(verdict.forMs)}, ${verdict.failures} failed requests`);
    }
  }

  #answered(): void {
    const ended = this.#outage.success();
    if (ended) this.#opts.logger.warn({ failures: ended.failures }, `ComfyUI at ${this.#opts.baseUrl} unreachable for ${episodeLength(ended.forMs)}, ${ended.failures} failed requests, recovered`);
  }

  async #fetchOnce(path: string, method: string, opts: RequestOptions): Promise<Response> {
    const timeout = AbortSignal.timeout(opts.timeoutMs ?? this.#opts.timeoutMs);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    const headers: Record<string, string> = {};
    if (typeof opts.body === 'string') headers['content-type'] = 'application/json';
    if (this.#opts.authorization) headers.authorization = this.#opts.authorization;
    return fetch(this.url(path), { method, body: opts.body, headers, signal });
  }
}

function isRetryable(err: unknown): boolean {
  if (err instanceof ServerError) return true;
  if (err instanceof Error && err.name === 'TimeoutError') return true;
  // undici: TypeError('fetch failed') with the socket error as cause (ECONNREFUSED, ECONNRESET, …).
  return err instanceof TypeError && err.cause !== undefined;
}

/** True when the request certainly never reached the server (nothing to deduplicate). */
export function neverSent(err: unknown): boolean {
  const code = err instanceof Error ? (err.cause as { code?: string } | undefined)?.code : undefined;
  return code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH';
}

function reasonOf(err: unknown): string {
  if (err instanceof ServerError) return `it answered ${err.message}`;
  if (err instanceof Error && err.name === 'TimeoutError') return 'the request timed out';
  const cause = err instanceof Error ? (err.cause as { code?: string; message?: string } | undefined) : undefined;
  return cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
}

function unavailableMessage(baseUrl: string, method: string, path: string, attempts: number, err: unknown): string {
  const what = err instanceof ServerError ? 'failed' : 'could not be reached';
  return `ComfyUI at ${baseUrl} ${what} (${method} ${path}, ${attempts} attempt${attempts === 1 ? '' : 's'}: ${reasonOf(err)}) — check that it is running and reachable`;
}
