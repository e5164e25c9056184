import type Router from '@koa/router';
import { wrap } from '@mikro-orm/core';
import { ModelEntity, type Model } from '#shared/db/entities/model.ts';
import type { ModelRepository } from '#shared/db/repositories/model-repository.ts';
import { recordAudit } from '../audit.ts';
import { validate, type Validated } from '../middleware/validate.ts';
import { apiPrefix, newRouter } from '../routing.ts';
import { createModelBody, listModelsQuery, modelIdParams, patchModelBody } from '../schemas/model-schemas.ts';

export interface ModelsRouterDeps {
  models: ModelRepository;
}

type PatchState = Validated<'params', typeof modelIdParams> & Validated<'body', typeof patchModelBody>;

const modelFields = Object.keys(ModelEntity.meta.properties);

/** Plain JSON of a model, the same in responses and audit rows; unset optional fields are `null`, never missing. */
export function modelView(model: Model): Record<string, unknown> {
  const plain = wrap(model).toObject() as Record<string, unknown>;
  return Object.fromEntries(modelFields.map((field) => [field, plain[field] ?? null]));
}

/** `/api/v1/models`: the model registry. Every change and its audit_log row commit in one transaction. */
export function modelsRouter({ models }: ModelsRouterDeps): Router {
  const base = `${apiPrefix}/models`;
  const router = newRouter();

  /** Applies `change` to model `id` and audits it; `null` after means the model is gone. */
  const changeModel = <T extends Model | null>(action: string, id: number, change: (repo: ModelRepository) => Promise<T>): Promise<T> =>
    models.transaction(async (repo, em) => {
      // Locked, so the audit's "before" is the row this change replaces even under concurrent changes.
      const before = modelView(await repo.get(id, { forUpdate: true }));
      const after = await change(repo);
      await recordAudit(em, { action, entity: 'model', entityId: String(id), before, after: after && modelView(after) });
      return after;
    });

  router.get(base, validate('query', listModelsQuery), async (ctx) => {
    const { cursor, limit, ...filters } = ctx.state.query;
    const page = await models.list(filters, { cursor, limit });
    ctx.body = { items: page.items.map(modelView), nextCursor: page.nextCursor === null ? null : String(page.nextCursor) };
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
    await changeModel('model.delete', id, async (repo) => {
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
