import type pg from 'pg';
import type { PgBoss } from 'pg-boss';
import type { NewGeneration } from '#shared/db/repositories/generation-repository.ts';
import { Limiter } from '#shared/limits/limiter.ts';
import { enqueueGeneration, type EnqueuedGeneration } from './enqueue.ts';
import { enqueueMany } from './enqueue-many.ts';

/** A request turned away (limits or the guild's moderation), or one whose refusal could not be explained; the others of its batch go on. */
type Refused = Error;

interface Waiting {
  input: NewGeneration;
  roleIds: readonly string[];
  resolve(value: EnqueuedGeneration): void;
  reject(err: unknown): void;
}

/**
 * Enqueues generations with the guarantees of `enqueueGeneration` (limits checked and consumed,
 * row and job commit together, fair priority), but when requests pile up they share one
 * statement (enqueueMany, its own transaction): a burst of 200 /imagine costs a few commits instead
 * of 200. Requests are gathered until the event loop's current turn ends (setImmediate): the first
 * of a burst would otherwise go alone and hold a flush slot while the rest of its burst, arriving in
 * the same turn, waits behind it. A lone request waits for nothing else. A request moderation or the limiter refuses is
 * answered with its ModerationError or LimitError and the others go on; if a shared transaction
 * fails, each of its requests is retried on its own, so one bad request cannot fail the others.
 */
export class GenerationEnqueuer {
  readonly #pool: pg.Pool;
  readonly #boss: PgBoss;
  readonly #limiter: Limiter;
  readonly #maxInFlight: number;
  readonly #maxBatch: number;
  #waiting: Waiting[] = [];
  #inFlight = 0;
  #gathering = false;

  constructor(pool: pg.Pool, boss: PgBoss, opts: { limiter?: Limiter; maxInFlight?: number; maxBatch?: number } = {}) {
    this.#pool = pool;
    this.#boss = boss;
    this.#limiter = opts.limiter ?? Limiter.unlimited();
    this.#maxInFlight = opts.maxInFlight ?? 2;
    this.#maxBatch = opts.maxBatch ?? 100;
  }

  /** `roleIds`: the member's roles in the request's guild, for role policies. */
  enqueue(input: NewGeneration, opts: { roleIds?: readonly string[] } = {}): Promise<EnqueuedGeneration> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ input, roleIds: opts.roleIds ?? [], resolve, reject });
      if (this.#gathering) return;
      this.#gathering = true;
      setImmediate(() => {
        this.#gathering = false;
        this.#pump();
      });
    });
  }

  #pump(): void {
    while (this.#inFlight < this.#maxInFlight && this.#waiting.length > 0) {
      const batch = this.#take();
      this.#inFlight++;
      void this.#flush(batch).finally(() => {
        this.#inFlight--;
        this.#pump();
      });
    }
  }

  /**
   * The next batch: the oldest waiting requests, each user's first only. A user's later requests
   * wait for a following batch, so every batch is the one-statement enqueue (the limiter checks a
   * user's requests one after another; a user twice would need a transaction of several round
   * trips). Their priority comes from the limiter's counters, so it is the same either way.
   */
  #take(): Waiting[] {
    const batch: Waiting[] = [];
    const rest: Waiting[] = [];
    const users = new Set<string>();
    for (const w of this.#waiting) {
      if (batch.length < this.#maxBatch && !users.has(w.input.userId)) {
        users.add(w.input.userId);
        batch.push(w);
      } else rest.push(w);
    }
    this.#waiting = rest;
    return batch;
  }

  async #flush(batch: Waiting[]): Promise<void> {
    // Announced with its commit only when nothing else of ours is being enqueued (EnqueueManyOptions).
    if (batch.length === 1) return this.#alone(batch[0]!, this.#inFlight === 1 && this.#waiting.length === 0);
    let results: (EnqueuedGeneration | Refused)[];
    try {
      results = await this.#together(batch);
    } catch {
      await Promise.all(batch.map((w) => this.#alone(w, false)));
      return;
    }
    batch.forEach((w, i) => {
      const r = results[i]!;
      if (r instanceof Error) w.reject(r);
      else w.resolve(r);
    });
  }

  async #alone(w: Waiting, announceWithCommit: boolean): Promise<void> {
    await enqueueGeneration(this.#pool, this.#boss, w.input, { limiter: this.#limiter, roleIds: w.roleIds, announceWithCommit }).then(w.resolve, w.reject);
  }

  #together(batch: Waiting[]): Promise<(EnqueuedGeneration | Refused)[]> {
    return enqueueMany(this.#pool, this.#boss, this.#limiter, batch);
  }
}
