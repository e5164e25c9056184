import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { pipeline } from 'node:stream/promises';
import { AppError, ErrorCode } from '../errors.ts';
import { logger as rootLogger, type Logger } from '../logging.ts';
import type { CancelResult, HistoryEntry, ImageRef, QueueItem, QueuePosition, QueueSnapshot, SubmitResult, SystemStats } from './api-types.ts';
import { backoffDelay, defaultBackoff, type BackoffPolicy } from './backoff.ts';
import { textResponse, type HttpResponse } from './http-response.ts';
import { HttpTransport, neverSent, type RequestOptions } from './http-transport.ts';
import { parseJsonLossless } from './json.ts';
import { positionIn } from './queue-position.ts';
import { JobsApi, missingRoute } from './jobs-api.ts';
import { historyEntryOfJob, serverKindOf, type PromptLookup, type ServerKind } from './server-kind.ts';
import type { ObjectInfo } from './object-info.ts';
import { ComfyEventStream } from './event-stream.ts';
import { followPrompt, type FollowOptions } from './follow-prompt.ts';
import type { PromptOutcome } from './prompt-outcome.ts';
import { ComfyValidationError } from './validation-error.ts';
import type { PromptGraph } from './workflow/graph.ts';
import { serializePrompt } from './workflow/serialize.ts';
import { truncate } from '#shared/render/limits.ts';

const canonicalUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface ComfyClientOptions {
  /** e.g. `http://127.0.0.1:8188`, or `https://host/comfy` behind a reverse proxy (the path is kept). */
  baseUrl: string;
  /**
   * `Authorization` header value for a reverse proxy in front of ComfyUI (e.g. `Bearer …`), sent on
   * every HTTP call and the WebSocket upgrade. Never logged.
   */
  authorization?: string;
  /** Our WebSocket session id; events of prompts submitted with it are routed to us. */
  clientId?: string;
  logger?: Logger;
  /** Per HTTP call (default 10 s). */
  timeoutMs?: number;
  /** Retries after the first attempt on connection errors and 5xx (default 4). */
  retries?: number;
  backoff?: BackoffPolicy;
  /** Whole-download limit for `/view` (default 10 min). */
  downloadTimeoutMs?: number;
}

export interface SubmitOptions {
  /** Canonical lowercase UUID chosen by the caller (stored with the job); minted if absent. */
  promptId?: string;
  extraData?: Record<string, unknown>;
  front?: boolean;
  signal?: AbortSignal;
}

/** HTTP client for one ComfyUI instance (API.md §3). */
export class ComfyClient {
  readonly baseUrl: string;
  readonly clientId: string;
  readonly logger: Logger;
  readonly #http: HttpTransport;
  readonly #jobs: JobsApi;
  readonly #downloadTimeoutMs: number;
  readonly #backoff: BackoffPolicy;
  readonly #retries: number;
  readonly #authorization: string | undefined;
  #events: ComfyEventStream | undefined;
  #kind: Promise<ServerKind> | undefined;

  constructor(opts: ComfyClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.clientId = opts.clientId ?? randomUUID();
    this.logger = (opts.logger ?? rootLogger).child({ comfy: this.baseUrl, clientId: this.clientId });
    this.#downloadTimeoutMs = opts.downloadTimeoutMs ?? 600_000;
    this.#backoff = opts.backoff ?? defaultBackoff;
    this.#retries = opts.retries ?? 4;
    this.#authorization = opts.authorization;
    this.#http = new HttpTransport({
      baseUrl: this.baseUrl,
      authorization: opts.authorization,
      logger: this.logger,
      timeoutMs: opts.timeoutMs ?? 10_000,
      retries: this.#retries,
      backoff: this.#backoff,
    });
    this.#jobs = new JobsApi(this.#http);
  }

  /** The WebSocket event stream of our clientId (created and started on first use). */
  events(): ComfyEventStream {
    if (!this.#events) {
      this.#events = new ComfyEventStream({
        baseUrl: this.baseUrl, clientId: this.clientId, logger: this.logger, backoff: this.#backoff, authorization: this.#authorization,
      });
      this.#events.start();
    }
    return this.#events;
  }

  /** Follows a submitted prompt to its outcome (see follow-prompt.ts). */
  followPrompt(promptId: string, opts: FollowOptions = {}): Promise<PromptOutcome> {
    return followPrompt(this, this.events(), promptId, opts);
  }

  /** Closes the event stream, if one was opened. */
  async close(): Promise<void> {
    await this.#events?.close();
    this.#events = undefined;
  }

  /**
   * POST /prompt with our client_id and the caller's prompt_id. A 400 becomes a
   * ComfyValidationError (never retried). Before retrying an ambiguous failure, checks whether
   * the prompt already reached the queue or history, so it is never submitted twice.
   */
  async submit(prompt: PromptGraph, opts: SubmitOptions = {}): Promise<SubmitResult> {
    const promptId = opts.promptId ?? randomUUID();
    if (!canonicalUuid.test(promptId)) {
      // Newer ComfyUI rejects anything else with invalid_prompt_id (API.md §9).
      throw new AppError(ErrorCode.Validation, `prompt id '${promptId}' is not a lowercase hyphenated UUID — generate one with crypto.randomUUID()`);
    }
    const body = serializePrompt({
      prompt,
      client_id: this.clientId,
      prompt_id: promptId,
      ...(opts.extraData ? { extra_data: opts.extraData } : {}),
      ...(opts.front ? { front: true } : {}),
    });
    let foundAfterRetry = false;
    const res = await this.#http.request('/prompt', {
      method: 'POST',
      body,
      signal: opts.signal,
      context: { promptId },
      beforeRetry: async (previous) => {
        if (neverSent(previous)) return undefined;
        let seen: boolean;
        try {
          seen = await this.#wasReceived(promptId);
        } catch {
          return 'skip'; // cannot tell whether it landed: do not send again yet
        }
        if (!seen) return undefined;
        foundAfterRetry = true;
        this.logger.warn({ promptId }, 'an earlier attempt of this submission reached ComfyUI; not resubmitting');
        return textResponse(200, '{}');
      },
    });
    const text = await res.text();
    if (res.status === 400) {
      const err = new ComfyValidationError(asObject(parseJsonLossless(text)), promptId);
      this.logger.warn({ promptId, nodeErrors: err.details.node_errors }, err.message);
      throw err;
    }
    if (!res.ok) throw unexpected('POST /prompt', res.status, text);
    const data = foundAfterRetry ? {} : (asObject(parseJsonLossless(text)) as { number?: number; node_errors?: SubmitResult['nodeErrors']; prompt_id?: string });
    if (data.prompt_id && data.prompt_id !== promptId) {
      throw new AppError(ErrorCode.ComfyExecution, `ComfyUI queued prompt ${data.prompt_id} instead of ${promptId} — is it too old to accept prompt_id?`);
    }
    this.logger.debug({ promptId, number: data.number }, 'prompt submitted');
    return { promptId, number: data.number, nodeErrors: data.node_errors ?? {} };
  }

  /** GET /queue with pending items sorted in run order. */
  async queue(signal?: AbortSignal): Promise<QueueSnapshot> {
    const data = (await this.#getJson('/queue', { signal })) as { queue_running?: QueueItem[]; queue_pending?: QueueItem[] };
    const pending = [...(data.queue_pending ?? [])].sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
    return { running: data.queue_running ?? [], pending };
  }

  async queuePosition(promptId: string, signal?: AbortSignal): Promise<QueuePosition> {
    return positionIn(await this.queue(signal), promptId);
  }

  /** GET /history/{id}; undefined while unknown, pending or running. */
  async history(promptId: string, signal?: AbortSignal): Promise<HistoryEntry | undefined> {
    const data = asObject(await this.#getJson(`/history/${encodeURIComponent(promptId)}`, { signal, context: { promptId } }));
    return data[promptId] as HistoryEntry | undefined;
  }

  async objectInfo(signal?: AbortSignal): Promise<ObjectInfo> {
    return (await this.#getJson('/object_info', { signal, timeoutMs: 60_000 })) as ObjectInfo;
  }

  /** GET /models/{folder}: sorted relative file names. Unknown folder → AppError NotFound. */
  async models(folder: string, signal?: AbortSignal): Promise<string[]> {
    const res = await this.#http.request(`/models/${encodeURIComponent(folder)}`, { signal });
    if (res.status === 404) {
      await res.discard();
      throw new AppError(ErrorCode.NotFound, `ComfyUI has no model folder '${folder}'`);
    }
    return (await readJson(res, `GET /models/${folder}`)) as string[];
  }

  /** GET /view_metadata/{folder}?filename=: a .safetensors file's `__metadata__`; undefined when it has none (404). */
  async viewMetadata(folder: string, filename: string, signal?: AbortSignal): Promise<Record<string, unknown> | undefined> {
    const path = `/view_metadata/${encodeURIComponent(folder)}?${new URLSearchParams({ filename })}`;
    const res = await this.#http.request(path, { signal });
    if (res.status === 404) {
      await res.discard();
      return undefined;
    }
    const body = await readJson(res, `GET /view_metadata/${folder}`);
    return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
  }

  async systemStats(signal?: AbortSignal): Promise<SystemStats> {
    return (await this.#getJson('/system_stats', { signal })) as SystemStats;
  }

  /**
   * `POST /upload/image` (multipart) into the input folder; answers the name `LoadImage` takes. Same
   * name and same bytes reuse the file there, so a retry or a second run uploads nothing new.
   */
  async uploadImage(bytes: Uint8Array, filename: string, signal?: AbortSignal): Promise<string> {
    const form = new FormData();
    form.set('image', new Blob([bytes], { type: 'image/png' }), filename);
    form.set('type', 'input');
    const res = await this.#http.request('/upload/image', { method: 'POST', body: form, signal, timeoutMs: 60_000, context: { upload: filename } });
    const data = asObject(await readJson(res, 'POST /upload/image'));
    if (typeof data.name !== 'string' || !data.name) throw new AppError(ErrorCode.ComfyUnavailable, 'ComfyUI answered POST /upload/image without a file name');
    return typeof data.subfolder === 'string' && data.subfolder ? `${data.subfolder}/${data.name}` : data.name;
  }

  /** Streams an output file from /view. The caller must consume or destroy the stream. */
  async openOutput(ref: ImageRef, signal?: AbortSignal): Promise<Readable> {
    const query = new URLSearchParams({ filename: ref.filename, subfolder: ref.subfolder ?? '', type: ref.type ?? 'output' });
    const res = await this.#http.request(`/view?${query}`, { signal, timeoutMs: this.#downloadTimeoutMs });
    if (!res.ok) {
      const text = await res.text().catch(() => '');
      const code = res.status === 404 ? ErrorCode.NotFound : ErrorCode.ComfyExecution;
      throw new AppError(code, `ComfyUI could not serve ${ref.type}/${ref.subfolder ? `${ref.subfolder}/` : ''}${ref.filename} (HTTP ${res.status}${text ? `: ${truncate(text, 200)}` : ''})`);
    }
    return res.body;
  }

  /**
   * Streams an output file to `destPath` via a temporary file renamed when complete. A transfer
   * cut off mid-body is restarted (up to `retries` times); HTTP errors are not.
   */
  async download(ref: ImageRef, destPath: string, signal?: AbortSignal): Promise<{ path: string; bytes: number }> {
    for (let attempt = 0; ; attempt++) {
      const partial = `${destPath}.part-${randomUUID()}`;
      let bytes = 0;
      let started = false;
      try {
        const source = await this.openOutput(ref, signal);
        started = true;
        source.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
        });
        await pipeline(source, createWriteStream(partial), { signal });
        await rename(partial, destPath);
        return { path: destPath, bytes };
      } catch (err) {
        await rm(partial, { force: true });
        if (!started || signal?.aborted || attempt >= this.#retries) throw err;
        this.logger.warn({ err, attempt, file: ref.filename }, 'download interrupted, restarting');
        await sleep(backoffDelay(attempt, this.#backoff), undefined, { signal });
      }
    }
  }

  /**
   * Which ComfyUI this is, from `/system_stats` (asked once; a failed answer is asked again next
   * time). Newer servers get the jobs API, 0.3.64 the queue/history/interrupt routes.
   */
  serverKind(signal?: AbortSignal): Promise<ServerKind> {
    if (!this.#kind) {
      const asking = this.systemStats(signal).then(serverKindOf);
      this.#kind = asking;
      asking.then(
        (kind) => this.logger.debug({ version: kind.version, jobsApi: kind.jobsApi }, 'ComfyUI server kind'),
        () => {
          if (this.#kind === asking) this.#kind = undefined;
        },
      );
    }
    return this.#kind;
  }

  /**
   * Where a prompt is now — pending (with position), running, finished (its history entry) or
   * absent — to reconcile after a crash or reconnect. One `GET /api/jobs/{id}` on newer servers;
   * `/queue` then `/history/{id}` otherwise (ComfyUI moves a prompt from one to the other atomically).
   */
  async lookup(promptId: string, signal?: AbortSignal): Promise<PromptLookup> {
    if (await this.#jobsApi(signal)) {
      const job = await this.#jobs.get(promptId, signal);
      if (job === missingRoute) this.#noJobsApi();
      else {
        if (job === undefined) return { state: 'absent' };
        if (job.status === 'in_progress') return { state: 'running' };
        if (job.status !== 'pending') {
          const entry = historyEntryOfJob(job) ?? (await this.history(promptId, signal));
          return entry ? { state: 'finished', entry } : { state: 'absent' };
        }
        // Pending: the jobs API has no queue position, the queue has (below; it may have moved on meanwhile).
      }
    }
    const where = positionIn(await this.queue(signal), promptId);
    if (where.state !== 'absent') return where;
    const entry = await this.history(promptId, signal);
    return entry ? { state: 'finished', entry } : { state: 'absent' };
  }

  /**
   * Cancels by stage: pending → removed from the queue; running → interrupted (only when this
   * prompt is the running one, so another job is never hit); otherwise 'not_found'. Newer servers
   * do it atomically with `POST /api/jobs/{id}/cancel`.
   */
  async cancel(promptId: string, signal?: AbortSignal): Promise<CancelResult> {
    const log = this.logger.child({ promptId });
    if (await this.#jobsApi(signal)) {
      const cancelled = await this.#jobs.cancel(promptId, signal);
      if (cancelled === false) {
        log.info('cancel: prompt is neither pending nor running');
        return 'not_found';
      }
      if (cancelled === true) {
        // Dequeued prompts leave no trace; interrupted ones are still running or in history.
        const how = (await this.#jobs.get(promptId, signal)) === undefined ? 'dequeued' : 'interrupted';
        log.info({ how }, 'prompt cancelled through the jobs API');
        return how;
      }
      this.#noJobsApi();
    }
    // Two rounds: a pending prompt may start running between reading the queue and deleting it.
    for (let round = 0; round < 2; round++) {
      const where = await this.queuePosition(promptId, signal);
      if (where.state === 'absent') break;
      if (where.state === 'running') {
        await this.#post('/interrupt', { prompt_id: promptId }, promptId, signal);
        log.info('running prompt interrupted');
        return 'interrupted';
      }
      await this.#post('/queue', { delete: [promptId] }, promptId, signal);
      const after = await this.queuePosition(promptId, signal);
      if (after.state === 'absent') {
        log.info('pending prompt removed from the queue');
        return 'dequeued';
      }
    }
    log.info('cancel: prompt is neither pending nor running');
    return 'not_found';
  }

  async #jobsApi(signal?: AbortSignal): Promise<boolean> {
    try {
      return (await this.serverKind(signal)).jobsApi;
    } catch {
      return false; // system_stats unreachable: the old routes work on every server
    }
  }

  /** A server that claimed the jobs API but lacks the route: use the old routes from now on. */
  #noJobsApi(): void {
    this.logger.warn('ComfyUI has no /api/jobs routes after all; using /queue, /history and /interrupt');
    this.#kind = this.#kind?.then((k) => ({ ...k, jobsApi: false }));
  }

  async #wasReceived(promptId: string): Promise<boolean> {
    const queue = (await this.#getJson('/queue', { retries: 0, context: { promptId } })) as { queue_running?: QueueItem[]; queue_pending?: QueueItem[] };
    if ([...(queue.queue_running ?? []), ...(queue.queue_pending ?? [])].some((item) => item[1] === promptId)) return true;
    const history = asObject(await this.#getJson(`/history/${encodeURIComponent(promptId)}`, { retries: 0, context: { promptId } }));
    return history[promptId] !== undefined;
  }

  async #post(path: string, payload: unknown, promptId: string, signal?: AbortSignal): Promise<void> {
    const res = await this.#http.request(path, { method: 'POST', body: JSON.stringify(payload), signal, context: { promptId } });
    if (!res.ok) throw unexpected(`POST ${path}`, res.status, await res.text().catch(() => ''));
    await res.discard();
  }

  async #getJson(path: string, opts: RequestOptions): Promise<unknown> {
    return readJson(await this.#http.request(path, opts), `GET ${path}`);
  }
}

async function readJson(res: HttpResponse, what: string): Promise<unknown> {
  const text = await res.text();
  if (!res.ok) throw unexpected(what, res.status, text);
  try {
    return parseJsonLossless(text);
  } catch (err) {
    throw new AppError(ErrorCode.ComfyUnavailable, `ComfyUI answered ${what} with invalid JSON: ${truncate(text, 100)}`, { cause: err });
  }
}

function asObject(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function unexpected(what: string, status: number, text: string): AppError {
  return new AppError(ErrorCode.ComfyExecution, `ComfyUI answered ${what} with HTTP ${status}${text ? `: ${truncate(text, 200)}` : ''}`, {
    details: { status },
  });
}
