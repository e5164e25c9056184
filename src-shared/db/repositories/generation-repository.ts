import type { GenerationOutput, GenerationStatus, LoraChoice } from '#shared/db/entities/generation.ts';
import { decodeCursor, toPage, type Page } from '#shared/db/keyset.ts';
import type { Db } from '#shared/db/pool.ts';
import {
  insertGeneration,
  listGenerations,
  selectGeneration,
  transitionGeneration,
  userHistoryPage,
  type GenerationFilters,
  type NewGenerationRow,
  type TransitionPatch,
} from '#shared/db/sql/generations.ts';
import { mapDbError } from '#shared/db/db-errors.ts';
import { AppError, ErrorCode } from '#shared/errors.ts';
import { canTransition, predecessorsOf } from '#shared/generation/status.ts';
import { countStatusChange } from '#shared/limits/counters.ts';

export interface GenerationRow extends Omit<NewGenerationRow, 'loras' | 'chargedAt'> {
  loras: LoraChoice[];
  chargedAt: Date | null;
  messageId: string | null;
  status: GenerationStatus;
  progress: number;
  comfyInstanceId: number | null;
  comfyPromptId: string | null;
  generateJobId: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  attempts: number;
  outputs: GenerationOutput[];
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  deliveredAt: Date | null;
  deletedAt: Date | null;
  updatedAt: Date;
}

export type NewGeneration = Omit<NewGenerationRow, 'loras'> & { loras: LoraChoice[] };

const maxPageSize = 100;

function pageSize(limit: number | undefined): number {
  const n = limit ?? 20;
  if (!Number.isInteger(n) || n < 1 || n > maxPageSize) {
    throw new AppError(ErrorCode.Validation, `page size must be a whole number from 1 to ${maxPageSize}`, { details: { limit } });
  }
  return n;
}

/** Generation rows: creation, guarded status changes, keyset pages. Takes any Db (pool or transaction). */
export class GenerationRepository {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async create(g: NewGeneration): Promise<GenerationRow> {
    const { text, values } = insertGeneration(g);
    try {
      const { rows } = await this.#db.executeSql<GenerationRow>(text, values);
      return rows[0]!;
    } catch (err) {
      throw mapDbError(err, 'generation');
    }
  }

  async find(id: string): Promise<GenerationRow | undefined> {
    const { text, values } = selectGeneration(id);
    const { rows } = await this.#db.executeSql<GenerationRow>(text, values);
    return rows[0];
  }

  async get(id: string): Promise<GenerationRow> {
    const row = await this.find(id);
    if (!row) throw new AppError(ErrorCode.NotFound, `generation ${id} not found`, { details: { id } });
    return row;
  }

  /**
   * Moves a generation to `to` if the transition is allowed from its current status, atomically.
   * Throws InvalidTransition (with the current status) otherwise. The limiter's counters (active
   * requests, refunds, the line) change in the same statements, so call this inside a transaction.
   */
  async transition(id: string, to: GenerationStatus, patch: TransitionPatch = {}, onlyFrom?: GenerationStatus[]): Promise<GenerationRow> {
    const from = onlyFrom ? onlyFrom.filter((s) => canTransition(s, to)) : predecessorsOf(to);
    const { text, values } = transitionGeneration(id, from, to, patch);
    const { rows } = await this.#db.executeSql<GenerationRow & { previousStatus: GenerationStatus }>(text, values);
    if (rows[0]) {
      const { previousStatus, ...row } = rows[0];
      await countStatusChange(this.#db, { userId: row.userId, from: previousStatus, to, batchSize: row.batchSize, startedAt: row.startedAt, chargedAt: row.chargedAt });
      return row;
    }
    const current = await this.get(id);
    throw new AppError(ErrorCode.InvalidTransition, `generation ${id} cannot go from ${current.status} to ${to}`, {
      details: { id, from: current.status, to },
    });
  }

  async historyPage(userId: string, opts: { limit?: number; cursor?: string } = {}): Promise<Page<GenerationRow>> {
    const limit = pageSize(opts.limit);
    const { text, values } = userHistoryPage(userId, limit, opts.cursor ? decodeCursor(opts.cursor) : undefined);
    const { rows } = await this.#db.executeSql<GenerationRow>(text, values);
    return toPage(rows, limit);
  }

  async list(filters: GenerationFilters, opts: { limit?: number; cursor?: string } = {}): Promise<Page<GenerationRow>> {
    const limit = pageSize(opts.limit);
    const { text, values } = listGenerations(filters, limit, opts.cursor ? decodeCursor(opts.cursor) : undefined);
    const { rows } = await this.#db.executeSql<GenerationRow>(text, values);
    return toPage(rows, limit);
  }
}
