import { setTimeout as delay } from 'node:timers/promises';
import pg from 'pg';
import { episodeLength, FailureEpisode } from '#shared/failure-episode.ts';
import type { Logger } from '#shared/logging.ts';
import { cancelSignalPrefix, deliverChannel, slotsChannel } from '#shared/queue/wake.ts';
import { countOutageFailure } from '#shared/metrics/outage-metrics.ts';

const reconnectDelayMs = 1000;

/**
 * "A slot may have freed, or work arrived": one LISTEN connection per scheduler process, shared by
 * every worker waiting for a slot, so waiting costs no database round trips. One channel
 * (slotsChannel): a trigger's signal when a generation leaves running or an instance changes
 * (migration fair_slots), new generate work after an enqueue (wakeGenerate), a cancel's 'wake-all',
 * and 'cancel:<id>' for a running generation's cancel (watchCancel). The same connection listens on
 * deliverChannel for deliver jobs (deliverFetcher).
 *
 * Use: read `version` BEFORE looking for a slot, then `wait(version, ...)`: a signal that arrived in
 * between ends the wait at once, so no wake-up is lost. Until `listen()` (or if it is never called)
 * waits simply last their timeout.
 *
 * A signal wakes ONE sleeping waiter (the longest waiting), not all: each would run a claim, and a
 * freed slot needs one claimer, not a herd from every process. A claim that succeeded calls
 * `passOn()` to wake the next one only when another slot may still be free with work for it (the
 * claim function says so) or a signal arrived during the claim (see claimNextWaiting for why no
 * wake-up is lost); a claim that finds nothing ends the chain. Stopping and a lost connection still
 * wake everyone.
 *
 * A signal no waiter is there to take goes to `fetcher` (set by the scheduler: it wakes one idle
 * pg-boss generate worker, which fetches a job and claims): waiting work whose job no worker holds
 * yet is not left to the polling interval, and no signal makes the whole pool fetch.
 *
 * Hand-written on pg rather than a LISTEN library: it is one connection, two channels and a
 * reconnect loop, and the lost-wake-up rule above is the part that matters.
 */
export class SlotSignal {
  #version = 0;
  #waiters = new Set<() => void>();
  #client: pg.Client | undefined;
  #closed = false;
  #idlePlacer = false;
  #serving = true;
  #fetcher: (() => void) | undefined;
  /** Wakes one idle deliver worker of this process: deliver jobs announced on deliverChannel. */
  deliverFetcher: (() => void) | undefined;
  #nothingAt = -1;
  readonly #cancelWatchers = new Map<string, () => void>();
  readonly #outage = new FailureEpisode();
  readonly #databaseUrl: string;
  readonly #logger: Logger;

  constructor(databaseUrl: string, logger: Logger) {
    this.#databaseUrl = databaseUrl;
    this.#logger = logger;
  }

  async listen(): Promise<void> {
    await this.#connect();
  }

  /** A claim that read `version` before it ran found nothing to claim. */
  nothingToClaimAt(version: number): void {
    this.#nothingAt = version;
  }

  /** False while no signal came since a claim found nothing: a claim now would find nothing either. */
  get mayClaim(): boolean {
    return this.#version !== this.#nothingAt;
  }

  /** Asks the fetcher for one more fetch (a job just ended having run nothing: more may wait). */
  fetchAnother(): void {
    this.#fetcher?.();
  }

  /** Where a signal goes when no worker waits for it (see the class comment). */
  set fetcher(fetch: (() => void) | undefined) {
    this.#fetcher = fetch;
  }

  get version(): number {
    return this.#version;
  }

  /**
   * Calls `onCancel` when a cancel of running generation `id` is announced (announceCancelRequested),
   * and after a lost connection (a cancel may have been missed). Returns the unwatch function.
   */
  watchCancel(id: string, onCancel: () => void): () => void {
    this.#cancelWatchers.set(id, onCancel);
    return () => {
      if (this.#cancelWatchers.get(id) === onCancel) this.#cancelWatchers.delete(id);
    };
  }

  /** Workers of this process sleeping in wait() right now. */
  get waiting(): number {
    return this.#waiters.size;
  }

  /**
   * One worker per process may wait here for work with nothing of its own to do (the idle placer):
   * woken by the NOTIFY of new work itself, it claims at once instead of after pg-boss's fetch of the
   * new job. Only while listening (otherwise nothing would wake it) and until stopServing().
   */
  becomeIdlePlacer(): boolean {
    if (this.#idlePlacer || !this.#serving || !this.#client) return false;
    this.#idlePlacer = true;
    return true;
  }

  leaveIdlePlacer(): void {
    this.#idlePlacer = false;
  }

  /** Whether idle placers should keep waiting (false once the scheduler stops). */
  get serving(): boolean {
    return this.#serving;
  }

  /** The scheduler is stopping: the idle placer stops waiting so its job can end. */
  stopServing(): void {
    this.#serving = false;
    this.#wakeAll();
  }

  /** Another slot may be free, or a signal this worker took was not looked at: the next waiter looks. */
  passOn(): void {
    this.#notify();
  }

  /** Resolves on the next signal after `since`, after `timeoutMs` (the fallback), or when aborted. */
  async wait(since: number, timeoutMs: number, abort: AbortSignal): Promise<void> {
    if (this.#version !== since || abort.aborted) return;
    const timer = new AbortController();
    let wake!: () => void;
    const woken = new Promise<void>((resolve) => (wake = resolve));
    this.#waiters.add(wake);
    const onAbort = () => wake();
    abort.addEventListener('abort', onAbort, { once: true });
    try {
      await Promise.race([woken, delay(timeoutMs, undefined, { signal: timer.signal }).catch(() => undefined)]);
    } finally {
      timer.abort();
      this.#waiters.delete(wake);
      abort.removeEventListener('abort', onAbort);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#wakeAll();
    await this.#client?.end().catch(() => undefined);
  }

  #notify(): void {
    this.#version++;
    const [first] = this.#waiters;
    if (!first) return this.#fetcher?.();
    this.#waiters.delete(first);
    first();
  }

  #wakeAll(): void {
    this.#version++;
    for (const wake of this.#waiters) wake();
    this.#waiters.clear();
    if (this.#serving) this.#fetcher?.();
  }

  async #connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.#databaseUrl });
    client.on('notification', (n) => {
      if (n.channel === deliverChannel) this.deliverFetcher?.();
      else if (n.payload === 'wake-all') this.#wakeAll();
      else if (n.payload?.startsWith(cancelSignalPrefix)) this.#cancelWatchers.get(n.payload.slice(cancelSignalPrefix.length))?.();
      else this.#notify();
    });
    client.on('error', (err) => {
      this.#logger.warn({ err }, 'slot LISTEN connection lost; reconnecting');
      void this.#reconnect(client);
    });
    await client.connect();
    await client.query(`listen ${slotsChannel}; listen ${deliverChannel}`);
    this.#client = client;
  }

  async #reconnect(dead: pg.Client): Promise<void> {
    if (this.#client !== dead) return;
    this.#client = undefined;
    await dead.end().catch(() => undefined);
    while (!this.#closed) {
      // Whatever was signalled while disconnected is unknown: wake everyone to look once.
      this.#wakeAll();
      for (const onCancel of this.#cancelWatchers.values()) onCancel();
      this.deliverFetcher?.();
      try {
        await this.#connect();
        const ended = this.#outage.success();
        if (ended) this.#logger.warn({ attempts: ended.failures }, `slot LISTEN connection back after ${episodeLength(ended.forMs)}, ${ended.failures} failed reconnects`);
        return;
      } catch (err) {
        const verdict = this.#outage.failure();
        countOutageFailure('postgres_listen', verdict);
        if (verdict.report === 'started') this.#logger.error({ err }, 'slot LISTEN reconnect failed; retrying every second (one line when it is back)');
        else if (verdict.report === 'ongoing') this.#logger.error({ err, attempts: verdict.failures }, `slot LISTEN still down after ${episodeLength(verdict.forMs)}`);
        await delay(reconnectDelayMs);
      }
    }
  }
}
