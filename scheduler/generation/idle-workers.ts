import type { PgBoss } from 'pg-boss';

/** A worker just woken is still fetching (it holds no job yet): the next wake-up goes to another. */
const fetchingForMs = 1000;

/**
 * Wakes ONE worker of a queue in this process that holds no job, so that it fetches now instead of
 * at its next poll (pg-boss's notifyWorker). pg-boss's own wake-up (a NOTIFY on its channel) makes
 * every idle worker of the queue fetch, in every process, for one new job.
 */
export class IdleWorkers {
  readonly #boss: PgBoss;
  readonly #queue: string;
  readonly #wokenAt = new Map<string, number>();

  constructor(boss: PgBoss, queue: string) {
    this.#boss = boss;
    this.#queue = queue;
  }

  /** False when every worker holds a job (or was woken moments ago and is fetching). */
  wakeOne(): boolean {
    const now = Date.now();
    for (const [id, at] of this.#wokenAt) if (now - at >= fetchingForMs) this.#wokenAt.delete(id);
    const idle = this.#boss.getWipData().find((w) => w.name === this.#queue && w.state === 'active' && w.count === 0 && !this.#wokenAt.has(w.id));
    if (!idle) return false;
    this.#wokenAt.set(idle.id, now);
    this.#boss.notifyWorker(idle.id);
    return true;
  }
}
