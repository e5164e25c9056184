import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { PgBoss } from 'pg-boss';
import { asDb, withTransaction } from '#shared/db/pool.ts';
import type { GenerationRow, NewGeneration } from '#shared/db/repositories/generation-repository.ts';
import { mapDbError } from '#shared/db/db-errors.ts';
import { AppError } from '#shared/errors.ts';
import { insertJoinedGenerations } from '#shared/db/sql/generation-batch.ts';
import { joinShard } from '#shared/limits/counters.ts';
import { LimitError } from '#shared/limits/limit-error.ts';
import { Limiter } from '#shared/limits/limiter.ts';
import { screenGenerations } from '#shared/moderation/screen.ts';
import { parsePayload } from '#shared/queue/contracts.ts';
import { wakeQueue } from '#shared/queue/wake.ts';
import { enqueueGeneration, limitRequestOf, type EnqueuedGeneration } from './enqueue.ts';

/** A request turned away (limits or the guild's moderation); the others of its batch go on. */
type Refused = AppError;

interface Waiting {
  input: NewGeneration;
  roleIds: readonly string[];
  resolve(value: EnqueuedGeneration): void;
  reject(err: unknown): void;
}

/**
 * Enqueues generations with the guarantees of `enqueueGeneration` (limits checked and consumed,
 * row and job commit together, fair priority), but when requests pile up they share one
 * transaction: a burst of 200 /imagine costs a few commits instead of 200. Requests are gathered
 * until the event loop's current turn ends (setImmediate): the first of a burst would otherwise go
 * alone and hold a transaction slot while the rest of its burst, arriving in the same turn, waits
 * behind it. A lone request waits for nothing else. A request moderation or the limiter refuses is
 * answered with its ModerationError or LimitError and the others go on; if a shared transaction
 * fails, each of its requests is retried on its own, so one bad request cannot fail the others.
 */
export class GenerationEnqueuer {
  readonly #pool: pg.Pool;
  readonly #boss: PgBoss;
  readonly #limiter: Limiter;
  readonly #maxInFlight: number;
  readonly #maxBatch: number;
  readonly #waiting: Waiting[] = [];
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
      const batch = this.#waiting.splice(0, this.#maxBatch);
      this.#inFlight++;
      void this.#flush(batch).finally(() => {
        this.#inFlight--;
        this.#pump();
      });
    }
  }

  async #flush(batch: Waiting[]): Promise<void> {
    if (batch.length === 1) return this.#alone(batch[0]!);
    let results: (EnqueuedGeneration | Refused)[];
    try {
      results = await this.#together(batch);
    } catch {
      await Promise.all(batch.map((w) => this.#alone(w)));
      return;
    }
    if (results.some((r) => !(r instanceof AppError))) wakeQueue(this.#pool, 'generate');
    batch.forEach((w, i) => {
      const r = results[i]!;
      if (r instanceof AppError) w.reject(r);
      else w.resolve(r);
    });
  }

  async #alone(w: Waiting): Promise<void> {
    await enqueueGeneration(this.#pool, this.#boss, w.input, { limiter: this.#limiter, roleIds: w.roleIds }).then(w.resolve, w.reject);
  }

  async #together(batch: Waiting[]): Promise<(EnqueuedGeneration | Refused)[]> {
    // As in enqueueGeneration: the screening and policy reads lock nothing, so they run beside the transaction's start.
    const requests = batch.map((w) => limitRequestOf(w.input, w.roleIds));
    const screening = screenGenerations(asDb(this.#pool), batch);
    screening.catch(() => undefined);
    const policies = this.#limiter.limitsFor(asDb(this.#pool), requests);
    policies.catch(() => undefined);
    return withTransaction(this.#pool, async (db) => {
      const screened = await screening;
      const limits = await policies;
      const results: (EnqueuedGeneration | Refused | undefined)[] = [...screened.map((r) => r ?? undefined)];
      const toAdmit = batch.flatMap((w, i) => (screened[i] ? [] : [{ index: i, w }]));
      const admissions = await this.#limiter.admit(db, toAdmit.map(({ index }) => requests[index]!), toAdmit.map(({ index }) => limits[index]!));
      const admitted = toAdmit.flatMap(({ index, w }, k) => {
        const a = admissions[k]!;
        if (!a.ok) results[index] = new LimitError(a.refusal, a.now);
        return a.ok ? [{ index, input: { ...w.input, chargedAt: a.chargedAt, queuePriority: -a.activeBefore }, admission: a }] : [];
      });
      if (admitted.length === 0) return results as Refused[];

      // Every admission in one transaction saw the same line; the batch joins it in order.
      const planned = admitted.map((a, k) => ({
        index: a.index, input: a.input, jobId: randomUUID(), position: a.admission.waiting + k + 1, priority: -a.admission.activeBefore,
      }));
      // The jobs first, so the last statement can be the rows and the waiting counter together.
      await this.#boss.insert(
        'generate',
        planned.map((p) => ({ id: p.jobId, data: parsePayload('generate', { generationId: p.input.id }), priority: p.priority })),
        { db: db as never },
      );
      const insert = insertJoinedGenerations(planned.map((p) => p.input), joinShard());
      let rows: GenerationRow[];
      try {
        rows = (await db.executeSql<GenerationRow>(insert.text, insert.values, insert.name)).rows;
      } catch (err) {
        throw mapDbError(err, 'generation');
      }
      const byId = new Map(rows.map((r) => [r.id, r]));
      for (const { index, input, jobId, position } of planned) results[index] = { generation: byId.get(input.id)!, jobId, position };
      return results as (EnqueuedGeneration | Refused)[];
    });
  }
}
