import type Router from '@koa/router';
import { wrap, type EntityManager } from '@mikro-orm/core';
import { ModelEntity, type Model, type ModelKind } from '#shared/db/entities/model.ts';
import type { SqlEntityManager } from '@mikro-orm/postgresql';
import type { ModelRepository } from '#shared/db/repositories/model-repository.ts';
import { recordAudit } from '../audit.ts';
import { validate, type Validated } from '../middleware/validate.ts';
import { apiPrefix, newRouter } from '../routing.ts';
import { bulkModelsBody, createModelBody, listModelsQuery, modelIdParams, patchModelBody } from '../schemas/model-schemas.ts';
import { blockingGenerations } from '../sql/models.ts';
import { AppError, ErrorCode } from '#shared/errors.ts';
import { LockMode } from '@mikro-orm/core';
import type { RefreshDeps } from '../model-refresh.ts';
import { refreshModels } from '../model-refresh.ts';

export interface ModelsRouterDeps {
  models: ModelRepository;
  /** What `POST /models/refresh` needs; without it refresh answers 503. */
  refresh?: RefreshDeps;
}

type PatchState = Validated<'params', typeof modelIdParams> & Validated<'body', typeof patchModelBody>;

const modelFields = Object.keys(ModelEntity.meta.properties);

/** Plain JSON of a model, the same in responses and audit rows; unset optional fields are `null`, never missing. */
export function modelView(model: Model): Record<string, unknown> {
  const plain = wrap(model).toObject() as Record<string, unknown>;
  return Object.fromEntries(modelFields.map((field) => [field, plain[field] ?? null]));
}

/** `/api/v1/models`: the model registry. Every change and its audit_log row commit in one transaction. */
export function modelsRouter({ models, refresh }: ModelsRouterDeps): Router {
  const base = `${apiPrefix}/models`;
  const router = newRouter();

  /** Applies `change` to model `id` and audits it; `null` after means the model is gone. */
  const changeModel = <T extends Model | null>(action: string, id: number, change: (repo: ModelRepository, em: EntityManager) => Promise<T>): Promise<T> =>
    models.transaction(async (repo, em) => {
      // Locked, so the audit's "before" is the row this change replaces even under concurrent changes.
      const before = modelView(await repo.get(id, { forUpdate: true }));
      const after = await change(repo, em);
      await recordAudit(em, { action, entity: 'model', entityId: String(id), before, after: after && modelView(after) });
      return after;
    });

  router.get(base, validate('query', listModelsQuery), async (ctx) => {
    const { cursor, limit, ...filters } = ctx.state.query;
    const page = await models.list(filters, { cursor, limit });
    ctx.body = { items: page.items.map(modelView), nextCursor: page.nextCursor === null ? null : String(page.nextCursor) };
  });

  // Registered before `/:id` routes only for readability: ids are digits, so `refresh` and `bulk` never match them.
  router.post(`${base}/refresh`, async (ctx) => {
    if (!refresh) throw new AppError(ErrorCode.Internal, 'this admin API runs without a database pool for discovery, so it cannot refresh', { status: 503, expose: true });
    ctx.body = await refreshModels(refresh);
  });

  router.post(`${base}/bulk`, validate('body', bulkModelsBody), async (ctx) => {
    const { ids, action } = ctx.state.body;
    const changed = await models.transaction(async (repo, em) => {
      const rows = await em.find(ModelEntity, { id: { $in: ids } }, { lockMode: LockMode.PESSIMISTIC_WRITE, orderBy: { id: 'asc' } });
      const missing = ids.filter((id) => !rows.some((m) => m.id === id));
      if (missing.length) throw new AppError(ErrorCode.NotFound, `no model with id ${missing.join(', ')}: nothing was changed`, { details: { ids: missing } });
      const out: Model[] = [];
      for (const model of rows) {
        const before = modelView(model);
        const after = await repo.setEnabled(model.id, action === 'enable');
        await recordAudit(em, { action: `model.${action}`, entity: 'model', entityId: String(model.id), before, after: modelView(after) });
        out.push(after);
      }
      return out;
    });
    ctx.body = { items: changed.map(modelView) };
  });

  router.get(`${base}/:id`, validate('params', modelIdParams), async (ctx) => {
    ctx.body = modelView(await models.get(ctx.state.params.id));
  });

  router.post(base, validate('body', createModelBody), async (ctx) => {
    const created = await models.transaction(async (repo, em) => {
      const model = await repo.create(ctx.state.body);
      await recordAudit(em, { action: 'model.create', entity: 'model', entityId: String(model.id), before: null, after: modelView(model) });
      return model;
    });
    ctx.status = 201;
    ctx.set('Location', `${base}/${created.id}`);
    ctx.body = modelView(created);
  });

  router.patch<PatchState>(`${base}/:id`, validate('params', modelIdParams), validate('body', patchModelBody), async (ctx) => {
    const { id } = ctx.state.params;
    const after = await changeModel('model.update', id, (repo) => repo.update(id, ctx.state.body));
    ctx.body = modelView(after);
  });

  router.delete(`${base}/:id`, validate('params', modelIdParams), async (ctx) => {
    const { id } = ctx.state.params;
    await changeModel('model.delete', id, async (repo, em) => {
      // Under the model's lock: a generation that names it would fail to load once the row is gone.
      const model = await repo.get(id);
      const stmt = blockingGenerations(model.kind as ModelKind, model.fileName);
      const blocking = (await (em as SqlEntityManager).execute<{ id: string }[]>(stmt.text, stmt.values)).map((r) => r.id);
      if (blocking.length) {
        throw new AppError(ErrorCode.Conflict, `model ${id} is used by ${blocking.length} generation(s) still queued or running: cancel them or wait, or disable the model instead`, {
          details: { id, generationIds: blocking },
        });
      }
      await repo.remove(id);
      return null;
    });
    ctx.status = 204;
  });

  for (const [action, enabled] of [['enable', true], ['disable', false]] as const) {
    router.post(`${base}/:id/${action}`, validate('params', modelIdParams), async (ctx) => {
      const { id } = ctx.state.params;
      const after = await changeModel(`model.${action}`, id, (repo) => repo.setEnabled(id, enabled));
      ctx.body = modelView(after);
    });
  }

  return router;
}
