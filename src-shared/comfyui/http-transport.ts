import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, type Dispatcher } from 'undici';
import type { Logger } from '../logging.ts';
import { AppError, ErrorCode } from '../errors.ts';
import { episodeLength, FailureEpisode } from '../failure-episode.ts';
import { backoffDelay, type BackoffPolicy } from './backoff.ts';
import { Deadline } from './deadline.ts';
import { undiciResponse, type HttpResponse } from './http-response.ts';
import { isRetryable, ServerError, unavailableMessage } from './transport-errors.ts';
import { countOutageFailure } from '#shared/metrics/outage-metrics.ts';
import { truncate } from '#shared/render/limits.ts';

export { neverSent } from './transport-errors.ts';

function withoutCredentials(url: URL): string {
  url.username = '';
  url.password = '';
  return url.href;
}

export interface RequestOptions {
  method?: 'GET' | 'POST';
  /** Already-serialized JSON body, or a multipart form (undici sets its content type). */
  body?: string | FormData;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Log context, e.g. `{ promptId }`. */
  context?: Record<string, unknown>;
  /** Overrides the transport's retry count for this call. */
  retries?: number;
  /**
   * Called before each retry. A response ends the call with it; 'skip' spends the attempt without
   * sending. Used by submit to notice that an ambiguous failure did reach the server, so a prompt
   * is never submitted twice.
   */
  beforeRetry?: (error: unknown) => Promise<HttpResponse | 'skip' | undefined>;
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

/**
 * Our own connection pool rather than undici's global dispatcher: that one is shared (through a
 * global symbol) with Node's bundled undici and with anything that calls setGlobalDispatcher, so
 * its version and settings would not be ours. One Agent for every transport: it pools per origin,
 * and its idle sockets are unref'd and closed after the keep-alive timeout, so it needs no closing.
 */
const agent = new Agent();

/** undici `request()` with a per-call timeout and retries (backoff + jitter) on connection errors and 5xx only. */
export class HttpTransport {
  readonly #opts: TransportOptions;
  readonly #origin: string;
  readonly #pathPrefix: string;
  /** The base URL as messages show it: without user or password. */
  readonly #where: string;
  readonly #hasCredentials: boolean;
  readonly #headers: Record<string, string>;
  readonly #jsonHeaders: Record<string, string>;
  /** Failed attempts of every call to this server form one outage: logged when it starts, reminded, and once recovered. */
  readonly #outage = new FailureEpisode();

  constructor(opts: TransportOptions) {
    this.#opts = opts;
    const base = new URL(opts.baseUrl);
    this.#hasCredentials = base.username !== '' || base.password !== '';
    this.#origin = base.origin;
    this.#pathPrefix = base.pathname.replace(/\/+$/, '');
    this.#where = `${base.origin}${this.#pathPrefix}`;
    this.#headers = opts.authorization ? { authorization: opts.authorization } : {};
    this.#jsonHeaders = { ...this.#headers, 'content-type': 'application/json' };
  }

  /** Resolves with any response below 500; throws ComfyUnavailable once retries are spent. */
  async request(path: string, opts: RequestOptions = {}): Promise<HttpResponse> {
    const method = opts.method ?? 'GET';
    if (this.#hasCredentials) {
      throw new AppError(ErrorCode.ComfyUnavailable, `ComfyUI base URL ${this.#where} carries a user or password, which is never sent — give the reverse proxy's Authorization header in COMFYUI_AUTHORIZATIONS instead`, { status: 503 });
    }
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
      let res: HttpResponse;
      try {
        res = await this.#sendOnce(path, method, opts);
        if (res.status >= 500) throw new ServerError(res.status, await res.text().catch(() => ''));
      } catch (err) {
        if (opts.signal?.aborted) throw opts.signal.reason;
        if (!isRetryable(err)) throw err;
        lastError = err;
        this.#failed(err);
        continue;
      }
      this.#answered();
      if (res.status >= 300 && res.status < 400) throw await this.#redirected(res, method, path);
      return res;
    }
    throw new AppError(ErrorCode.ComfyUnavailable, unavailableMessage(this.#where, method, path, attempts, lastError), {
      status: 503,
      cause: lastError,
      details: { attempts, status: lastError instanceof ServerError ? lastError.status : undefined, ...opts.context },
    });
  }

  /** fetch followed redirects (dropping a POST's body); we do not: a base URL that redirects is wrong. */
  async #redirected(res: HttpResponse, method: string, path: string): Promise<AppError> {
    await res.discard();
    const location = res.headers.get('location');
    const target = location && URL.canParse(location, this.#where) ? withoutCredentials(new URL(location, this.#where)) : 'elsewhere';
    return new AppError(ErrorCode.ComfyUnavailable, `ComfyUI at ${this.#where} redirected ${method} ${path} to ${truncate(target, 200)} (HTTP ${res.status}) — redirects are not followed: set the instance's base URL to where it points`, {
      status: 503,
      details: { status: res.status },
    });
  }

  #failed(err: unknown): void {
    const verdict = this.#outage.failure();
    countOutageFailure('comfyui_http', verdict);
    const where = this.#where;
    if (verdict.report === 'started') this.#opts.logger.warn({ err }, `ComfyUI at ${where} unreachable; retrying (one line when it recovers)`);
    else if (verdict.report === 'ongoing') {
      this.#opts.logger.error({ err, failures: verdict.failures }, `ComfyUI at ${where} still unreachable after ${episodeLength(verdict.forMs)}, ${verdict.failures} failed requests`);
    }
  }

  #answered(): void {
    const ended = this.#outage.success();
    if (ended) this.#opts.logger.warn({ failures: ended.failures }, `ComfyUI at ${this.#where} unreachable for ${episodeLength(ended.forMs)}, ${ended.failures} failed requests, recovered`);
  }

  /** The deadline covers the body too: it ends when the body closes (read, discarded or failed). */
  async #sendOnce(path: string, method: 'GET' | 'POST', opts: RequestOptions): Promise<HttpResponse> {
    const deadline = new Deadline(opts.timeoutMs ?? this.#opts.timeoutMs, opts.signal);
    try {
      const data = await agent.request({
        origin: this.#origin,
        path: this.#pathPrefix + path,
        method,
        headers: typeof opts.body === 'string' ? this.#jsonHeaders : this.#headers,
        // Node's own FormData works: undici takes any FormData-like object (only the typings differ).
        body: opts.body as Dispatcher.RequestOptions['body'],
        signal: deadline.signal,
      });
      data.body.once('close', () => deadline.end());
      return undiciResponse(data);
    } catch (err) {
      deadline.end();
      throw err;
    }
  }
}
