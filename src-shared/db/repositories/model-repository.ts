import type { MikroORM } from '@mikro-orm/postgresql';
import { EntityManager, LockMode, raw, wrap, type FilterQuery } from '@mikro-orm/core';
import { displayNameFor } from '#shared/comfyui/discovery/file-safety.ts';
import { GuildModelDisabledEntity } from '#shared/db/entities/guild-moderation.ts';
import { ModelEntity, type Model, type ModelKind } from '#shared/db/entities/model.ts';
import { mapDbError } from '#shared/db/db-errors.ts';
import { AppError, ErrorCode } from '#shared/errors.ts';

export type NewModel = Pick<Model, 'kind' | 'fileName'> &
  Partial<Omit<Model, 'id' | 'kind' | 'fileName' | 'createdAt' | 'updatedAt'>>;
export type ModelPatch = Partial<Omit<Model, 'id' | 'createdAt' | 'updatedAt'>>;

export interface ModelFilters {
  kind?: ModelKind;
  enabled?: boolean;
  available?: boolean;
  nsfw?: boolean;
  /** case-insensitive match on file or display name */
  search?: string;
  baseFamily?: string;
  /** has this tag (exact) */
  tag?: string;
  /** present on this ComfyUI instance */
  instanceId?: number;
}

export interface ModelPage {
  items: Model[];
  nextCursor: number | null;
}

/**
 * The model registry through MikroORM. Given the ORM, every call runs in its own forked
 * EntityManager; given an EntityManager (a transaction's, see `transaction`), all calls share it.
 */
export class ModelRepository {
  readonly #em: () => EntityManager;

  constructor(source: MikroORM | EntityManager) {
    this.#em = source instanceof EntityManager ? () => source : () => source.em.fork();
  }

  /**
   * Runs `fn` in one transaction: the repository it is given and `em` (for writes of other
   * entities that must commit with the model change) share it. Any error rolls everything back.
   * Entities read inside are the same objects throughout, so copy a "before" state before changing it.
   */
  async transaction<T>(fn: (models: ModelRepository, em: EntityManager) => Promise<T>): Promise<T> {
    return this.#em().transactional((em) => fn(new ModelRepository(em), em));
  }

  async create(input: NewModel): Promise<Model> {
    const em = this.#em();
    const model = em.create(ModelEntity, {
      // Derived from a file name of up to 500 characters; displayNameFor keeps it within the column.
      displayName: displayNameFor(input.fileName),
      ...input,
    } as never);
    try {
      await em.flush();
    } catch (err) {
      throw mapDbError(err, 'model');
    }
    return model;
  }

  async find(id: number): Promise<Model | null> {
    return this.#em().findOne(ModelEntity, { id });
  }

  /** `forUpdate` locks the row until the transaction ends (only inside `transaction`), so what is read is what gets changed. */
  async get(id: number, opts: { forUpdate?: boolean } = {}): Promise<Model> {
    const model = opts.forUpdate ? await this.#em().findOne(ModelEntity, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE }) : await this.find(id);
    if (!model) throw new AppError(ErrorCode.NotFound, `model ${id} not found`, { details: { id } });
    return model;
  }

  async findByFile(kind: ModelKind, fileName: string): Promise<Model | null> {
    return this.#em().findOne(ModelEntity, { kind, fileName });
  }

  /** Ordered by id; `cursor` is the last id of the previous page. */
  async list(filters: ModelFilters = {}, opts: { limit?: number; cursor?: number } = {}): Promise<ModelPage> {
    const limit = opts.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > 200) {
      throw new AppError(ErrorCode.Validation, 'page size must be a whole number from 1 to 200', { details: { limit } });
    }
    const where: FilterQuery<Model> = {};
    if (filters.kind) where.kind = filters.kind;
    if (filters.enabled !== undefined) where.enabled = filters.enabled;
    if (filters.available !== undefined) where.available = filters.available;
    if (filters.nsfw !== undefined) where.nsfw = filters.nsfw;
    if (filters.baseFamily) where.baseFamily = filters.baseFamily;
    // jsonb containment; a fresh raw() per call, as MikroORM asks for keys built from fragments.
    if (filters.tag !== undefined) Object.assign(where, { [raw((a) => `${a}.tags @> ?::jsonb`, [JSON.stringify([filters.tag])])]: [] });
    if (filters.instanceId !== undefined) Object.assign(where, { [raw((a) => `${a}.instance_ids @> ?::jsonb`, [JSON.stringify([filters.instanceId])])]: [] });
    if (filters.search) {
      const like = `%${filters.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      where.$or = [{ fileName: { $ilike: like } }, { displayName: { $ilike: like } }];
    }
    if (opts.cursor !== undefined) where.id = { $gt: opts.cursor };
    const rows = await this.#em().find(ModelEntity, where, { orderBy: { id: 'asc' }, limit: limit + 1 });
    const items = rows.slice(0, limit);
    return { items, nextCursor: rows.length > limit ? (items.at(-1)?.id ?? null) : null };
  }

  async update(id: number, patch: ModelPatch): Promise<Model> {
    const em = this.#em();
    const model = await em.findOne(ModelEntity, { id });
    if (!model) throw new AppError(ErrorCode.NotFound, `model ${id} not found`, { details: { id } });
    wrap(model).assign({ ...patch, updatedAt: new Date() } as never);
    try {
      await em.flush();
    } catch (err) {
      throw mapDbError(err, 'model');
    }
    return model;
  }

  async setEnabled(id: number, enabled: boolean): Promise<Model> {
    return this.update(id, { enabled });
  }

  async remove(id: number): Promise<void> {
    // With the guilds' switches for it, in one transaction (a savepoint inside the caller's).
    await this.#em().transactional(async (em) => {
      const deleted = await em.nativeDelete(ModelEntity, { id });
      if (deleted === 0) throw new AppError(ErrorCode.NotFound, `model ${id} not found`, { details: { id } });
      await em.nativeDelete(GuildModelDisabledEntity, { modelId: id });
    });
  }
}
