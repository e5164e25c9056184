import type { PgBoss } from 'pg-boss';

/** How often one idle generate worker of a process fetches when nothing woke one (the safety net). */
export const generatePollMs = 2000;
/** Each generate worker's own polling interval (pg-boss's): the safety net's safety net. */
export const generateWorkerPollSeconds = 10;

/** A worker woken and not yet seen fetching after it is still on its way: the next wake-up goes to another (bounded, should a wake-up be lost). */
const fetchingForMs = 1000;

/**
 * Wakes ONE worker of a queue in this process that holds no job, so that it fetches now instead of
 * at its next poll (pg-boss's notifyWorker). pg-boss's own wake-up (a NOTIFY on its channel) makes
 * every idle worker of the queue fetch, in every process, for one new job.
 *
 * `behindBusy`: when every worker holds a job, one of them is told anyway, so that it fetches again
 * as soon as its batch ends instead of waiting out its poll (pg-boss skips the wait of a worker
 * notified while it worked). Without it, jobs announced while every worker was busy waited a whole
 * polling interval after a burst: the last delivery of a burst came 2 s after the one before it.
 */
export class IdleWorkers {
  readonly #boss: PgBoss;
  readonly #queue: string;
  readonly #behindBusy: boolean;
  readonly #wokenAt = new Map<string, number>();
  #soon: NodeJS.Timeout | undefined;

  constructor(boss: PgBoss, queue: string, opts: { behindBusy?: boolean } = {}) {
    this.#boss = boss;
    this.#queue = queue;
    this.#behindBusy = opts.behindBusy ?? false;
  }

  /**
   * wakeOne in `ms`, once for every call until then: the jobs announced meanwhile are fetched
   * together (one fetch, one completion) instead of one small batch per announcement.
   */
  wakeOneSoon(ms: number): void {
    this.#soon ??= setTimeout(() => {
      this.#soon = undefined;
      this.wakeOne();
    }, ms);
    this.#soon.unref();
  }

  /** Drops a wake-up still to come (wakeOneSoon). */
  stop(): void {
    clearTimeout(this.#soon);
    this.#soon = undefined;
  }

  /** False when every worker holds a job (or was woken moments ago and has not fetched since); with `behindBusy`, one busy worker fetches after its batch. */
  wakeOne(): boolean {
    const now = Date.now();
    for (const [id, at] of this.#wokenAt) if (now - at >= fetchingForMs) this.#wokenAt.delete(id);
    const onItsWay = (id: string, lastFetchedOn: number | null) => {
      const at = this.#wokenAt.get(id);
      return at !== undefined && now - at < fetchingForMs && (lastFetchedOn ?? 0) < at;
    };
    const workers = this.#boss.getWipData().filter((w) => w.name === this.#queue && w.state === 'active');
    const idle = workers.find((w) => w.count === 0 && !onItsWay(w.id, w.lastFetchedOn));
    if (!idle) {
      const busy = this.#behindBusy ? workers.find((w) => w.count > 0) : undefined;
      if (busy) this.#boss.notifyWorker(busy.id);
      return false;
    }
    this.#wokenAt.set(idle.id, now);
    this.#boss.notifyWorker(idle.id);
    return true;
  }
}
