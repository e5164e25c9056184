/**
 * One outage, a few log lines: repeated failures of the same cause form an episode that is reported
 * when it starts, as a reminder every `remindEveryMs` while it lasts, and once when it ends (with
 * its length and how many failures it had). Pure: the caller logs; the clock is injectable.
 */
export type FailureVerdict =
  /** The first failure after a success: log it (warn). */
  | { report: 'started' }
  /** Still failing, and a reminder is due: log it (error: the outage lasts). */
  | { report: 'ongoing'; failures: number; forMs: number }
  /** Part of an episode already reported: log at debug at most. */
  | { report: 'quiet'; failures: number };

export interface EpisodeEnd {
  failures: number;
  forMs: number;
}

export class FailureEpisode {
  readonly #now: () => number;
  readonly #remindEveryMs: number;
  #since: number | undefined;
  #failures = 0;
  #lastReport = 0;

  constructor(opts: { remindEveryMs?: number; now?: () => number } = {}) {
    this.#now = opts.now ?? Date.now;
    this.#remindEveryMs = opts.remindEveryMs ?? 60_000;
  }

  get failing(): boolean {
    return this.#since !== undefined;
  }

  failure(): FailureVerdict {
    const now = this.#now();
    this.#failures++;
    if (this.#since === undefined) {
      this.#since = now;
      this.#lastReport = now;
      return { report: 'started' };
    }
    if (now - this.#lastReport >= this.#remindEveryMs) {
      this.#lastReport = now;
      return { report: 'ongoing', failures: this.#failures, forMs: now - this.#since };
    }
    return { report: 'quiet', failures: this.#failures };
  }

  /** Undefined when nothing was failing; else the episode that just ended (log it: "recovered"). */
  success(): EpisodeEnd | undefined {
    if (this.#since === undefined) return undefined;
    const ended = { failures: this.#failures, forMs: this.#now() - this.#since };
    this.#since = undefined;
    this.#failures = 0;
    return ended;
  }
}

/** "62 s" / "850 ms": an episode's length for a log line. */
export function episodeLength(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${Math.round(ms / 1000)} s`;
}
