import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import type { Logger } from '../logging.ts';
import { episodeLength, FailureEpisode } from '../failure-episode.ts';
import { backoffDelay, defaultBackoff, type BackoffPolicy } from './backoff.ts';
import { parseBinaryEvent, parseTextEvent, type ComfyEvent } from './events.ts';
import { countOutageFailure } from '#shared/metrics/outage-metrics.ts';

export interface EventStreamOptions {
  /** http(s) base URL, possibly with a path prefix; the socket is `<base>/ws` with ws(s). */
  baseUrl: string;
  clientId: string;
  /** Sent as the `Authorization` header of the upgrade request; never logged. */
  authorization?: string;
  logger: Logger;
  backoff?: BackoffPolicy;
  /** Ping cadence; a missing pong by the next ping means a dead link (default 15 s). */
  pingIntervalMs?: number;
  handshakeTimeoutMs?: number;
  /**
   * Ask for type-4 preview frames, which carry the prompt id (default true). Must be the first
   * message on the socket (API.md §5.1).
   */
  previewMetadata?: boolean;
}

export interface ConnectInfo {
  /** 1 for the first connection, then +1 per reconnect. */
  generation: number;
  sid: string | undefined;
}

/**
 * The `/ws` socket of one client id, reconnecting with exponential backoff + jitter.
 *
 * Same-clientId trap (API.md §5.1): the server maps sid → socket and, when *any* socket of that
 * sid closes, removes whatever socket is mapped then. A new socket opened while the old one still
 * lingers is silently unmapped when the old one finally closes. So: never more than one socket;
 * the old one is terminated and its close awaited, then we wait a backoff delay (> 0) before
 * dialling again; the sid in the first `status` is checked against our clientId. If the server
 * noticed the old socket's death later anyway, the new socket goes deaf: `reconnect()` exists for
 * followers that see no events while their prompt runs (their history/queue polls still collect).
 */
export class ComfyEventStream {
  readonly clientId: string;
  sid: string | undefined;
  connected = false;
  generation = 0;
  /** ms timestamp of the last message received (any type). */
  lastMessageAt = 0;

  readonly #opts: EventStreamOptions;
  readonly #log: Logger;
  readonly #listeners = new Set<(e: ComfyEvent) => void>();
  readonly #connectListeners = new Set<(info: ConnectInfo) => void>();
  #socket: WebSocket | undefined;
  #running: Promise<void> | undefined;
  #stop = new AbortController();
  readonly #outage = new FailureEpisode();

  constructor(opts: EventStreamOptions) {
    this.#opts = opts;
    this.clientId = opts.clientId;
    this.#log = opts.logger.child({ ws: true });
  }

  /** Starts connecting (idempotent). */
  start(): void {
    if (this.#running || this.#stop.signal.aborted) return;
    this.#running = this.#loop().catch((err: unknown) => this.#log.error({ err }, 'event stream loop failed'));
  }

  subscribe(listener: (e: ComfyEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Called after each (re)connect once the server confirmed the session with `status`. */
  onConnect(listener: (info: ConnectInfo) => void): () => void {
    this.#connectListeners.add(listener);
    return () => this.#connectListeners.delete(listener);
  }

  /** Resolves once connected (starting the stream if needed). */
  async waitConnected(timeoutMs = 10_000): Promise<void> {
    this.start();
    if (this.connected) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`ComfyUI WebSocket not connected after ${timeoutMs} ms`));
      }, timeoutMs);
      const off = this.onConnect(() => {
        clearTimeout(timer);
        off();
        resolve();
      });
    });
  }

  /** Drops the current socket; the loop dials again after a backoff delay. */
  reconnect(reason: string): void {
    if (!this.#socket) return;
    this.#log.warn({ reason }, 'forcing a WebSocket reconnect');
    this.#socket.terminate();
  }

  async close(): Promise<void> {
    this.#stop.abort();
    this.#socket?.terminate();
    await this.#running;
  }

  async #loop(): Promise<void> {
    let failures = 0;
    while (!this.#stop.signal.aborted) {
      const wasConnected = await this.#connectOnce();
      if (this.#stop.signal.aborted) break;
      failures = wasConnected ? 0 : failures + 1;
      const delay = backoffDelay(failures, this.#opts.backoff ?? defaultBackoff);
      if (wasConnected) this.#log.info({ delay }, 'WebSocket closed, reconnecting');
      else {
        // An outage is one line when it starts, a reminder a minute, and one when a connect succeeds again.
        const verdict = this.#outage.failure();
        countOutageFailure('comfyui_websocket', verdict);
        if (verdict.report === 'started') this.#log.warn({ delay }, 'WebSocket connect failed; retrying (one line when it reconnects)');
        else if (verdict.report === 'ongoing') this.#log.error({ failures: verdict.failures }, `WebSocket still cannot connect after ${episodeLength(verdict.forMs)}, ${verdict.failures} attempts`);
        else this.#log.debug({ delay, failures }, 'WebSocket connect failed, retrying');
      }
      await sleep(delay, undefined, { signal: this.#stop.signal }).catch(() => undefined);
    }
  }

  /** One socket from dial to close. Resolves (never rejects) after the socket is fully closed. */
  #connectOnce(): Promise<boolean> {
    const url = `${this.#opts.baseUrl.replace(/\/+$/, '').replace(/^http/, 'ws')}/ws?clientId=${encodeURIComponent(this.clientId)}`;
    return new Promise<boolean>((resolve) => {
      let confirmed = false;
      let pongPending = false;
      const socket = new WebSocket(url, {
        handshakeTimeout: this.#opts.handshakeTimeoutMs ?? 10_000,
        ...(this.#opts.authorization ? { headers: { authorization: this.#opts.authorization } } : {}),
      });
      this.#socket = socket;
      const pinger = setInterval(() => {
        if (pongPending) {
          this.#log.warn('no pong from ComfyUI, dropping the socket');
          socket.terminate();
          return;
        }
        pongPending = true;
        socket.ping();
      }, this.#opts.pingIntervalMs ?? 15_000);
      socket.on('open', () => {
        if (this.#opts.previewMetadata ?? true) {
          socket.send(JSON.stringify({ type: 'feature_flags', data: { supports_preview_metadata: true } }));
        }
      });
      socket.on('pong', () => {
        pongPending = false;
      });
      socket.on('message', (raw: WebSocket.RawData, isBinary: boolean) => {
        this.lastMessageAt = Date.now();
        const event = this.#parse(raw, isBinary);
        if (!event) return;
        if (!confirmed && event.type === 'status' && event.data.sid !== undefined) {
          confirmed = true;
          this.#onConfirmed(event.data.sid);
        }
        this.#dispatch(event);
      });
      socket.on('unexpected-response', (_req, res) => {
        const status = res.statusCode ?? 0;
        const hint = status === 401 || status === 403 ? ' — check the instance\'s authorization header' : status === 404 ? ' — check the base URL path' : '';
        this.#log.warn({ status }, `ComfyUI refused the WebSocket upgrade with HTTP ${status}${hint}`);
        socket.terminate();
      });
      socket.on('error', (err) => this.#log.debug({ err }, 'WebSocket error'));
      socket.on('close', () => {
        clearInterval(pinger);
        if (this.#socket === socket) this.#socket = undefined;
        this.connected = false;
        resolve(confirmed);
      });
    });
  }

  #onConfirmed(sid: string): void {
    this.sid = sid;
    this.connected = true;
    this.generation++;
    if (sid !== this.clientId) {
      this.#log.error({ sid }, 'ComfyUI assigned a different sid than our clientId; events of our prompts will not reach this socket');
    }
    const ended = this.#outage.success();
    if (ended) this.#log.warn({ generation: this.generation, failures: ended.failures }, `WebSocket could not connect for ${episodeLength(ended.forMs)}, ${ended.failures} attempts, reconnected`);
    else this.#log.info({ generation: this.generation }, this.generation === 1 ? 'WebSocket connected' : 'WebSocket reconnected');
    for (const listener of this.#connectListeners) {
      try {
        listener({ generation: this.generation, sid });
      } catch (err) {
        this.#log.error({ err }, 'connect listener failed');
      }
    }
  }

  #parse(raw: WebSocket.RawData, isBinary: boolean): ComfyEvent | undefined {
    const buffer = Buffer.isBuffer(raw) ? raw : Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw);
    try {
      return isBinary ? parseBinaryEvent(buffer) : parseTextEvent(buffer.toString('utf8'));
    } catch (err) {
      this.#log.debug({ err }, 'unparseable WebSocket message dropped');
      return undefined;
    }
  }

  #dispatch(event: ComfyEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (err) {
        this.#log.error({ err, type: event.type }, 'event listener failed');
      }
    }
  }
}
