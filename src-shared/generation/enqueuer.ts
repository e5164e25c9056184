import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { PgBoss } from 'pg-boss';
import { withTransaction } from '#shared/db/pool.ts';
import type { GenerationRow, NewGeneration } from '#shared/db/repositories/generation-repository.ts';
import { mapDbError } from '#shared/db/db-errors.ts';
import { batchLineStats, insertGenerations } from '#shared/db/sql/generation-batch.ts';
import { parsePayload } from '#shared/queue/contracts.ts';
import { wakeQueue } from '#shared/queue/wake.ts';
import { enqueueGeneration, type EnqueuedGeneration } from './enqueue.ts';

interface Waiting {
  input: NewGeneration;
  resolve(value: EnqueuedGeneration): void;
  reject(err: unknown): void;
}

/**
 * Enqueues generations with the guarantees of `enqueueGeneration` (row and job commit together,
 * fair priority), but when requests pile up they share one transaction: a burst of 200 /imagine
 * costs a few commits instead of 200. A lone request goes straight through, so it waits for nothing.
 * If a shared transaction fails, each of its requests is retried on its own, so one bad request
 * cannot fail the others.
 */
export class GenerationEnqueuer {
  readonly #pool: pg.Pool;
  readonly #boss: PgBoss;
  readonly #maxInFlight: number;
  readonly #maxBatch: number;
  readonly #waiting: Waiting[] = [];
  #inFlight = 0;

  constructor(pool: pg.Pool, boss: PgBoss, opts: { maxInFlight?: number; maxBatch?: number } = {}) {
    this.#pool = pool;
    this.#boss = boss;
    this.#maxInFlight = opts.maxInFlight ?? 2;
    this.#maxBatch = opts.maxBatch ?? 100;
  }

  enqueue(input: NewGeneration): Promise<EnqueuedGeneration> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ input, resolve, reject });
      this.#pump();
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
    let results: EnqueuedGeneration[];
    try {
      results = await this.#together(batch.map((w) => w.input));
    } catch {
      await Promise.all(batch.map((w) => this.#alone(w)));
      return;
    }
    wakeQueue(this.#pool, 'generate');
    batch.forEach((w, i) => w.resolve(results[i]!));
  }

  async #alone(w: Waiting): Promise<void> {
    await enqueueGeneration(this.#pool, this.#boss, w.input).then(w.resolve, w.reject);
  }

  async #together(inputs: NewGeneration[]): Promise<EnqueuedGeneration[]> {
    return withTransaction(this.#pool, async (db) => {
      const users = [...new Set(inputs.map((g) => g.userId))];
      const statsStmt = batchLineStats(users);
      const stats = (await db.executeSql<{ userId: string; active: number; queued: number }>(statsStmt.text, statsStmt.values)).rows;
      const active = new Map(stats.map((s) => [s.userId, s.active]));
      const queued = stats[0]?.queued ?? 0;

      const insert = insertGenerations(inputs);
      let rows: GenerationRow[];
      try {
        rows = (await db.executeSql<GenerationRow>(insert.text, insert.values)).rows;
      } catch (err) {
        throw mapDbError(err, 'generation');
      }
      const byId = new Map(rows.map((r) => [r.id, r]));

      const planned = inputs.map((g, i) => {
        const ahead = active.get(g.userId) ?? 0;
        active.set(g.userId, ahead + 1);
        return { generation: byId.get(g.id)!, jobId: randomUUID(), position: queued + i + 1, priority: -ahead };
      });
      await this.#boss.insert(
        'generate',
        planned.map((p) => ({ id: p.jobId, data: parsePayload('generate', { generationId: p.generation.id }), priority: p.priority })),
        { db: db as never },
      );
      return planned.map(({ generation, jobId, position }) => ({ generation, jobId, position }));
    });
  }
}
