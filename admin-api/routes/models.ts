import Router from '@koa/router';
import { wrap } from '@mikro-orm/core';
import type { Db } from '#shared/db/pool.ts';
import { ModelEntity, type Model } from '#shared/db/entities/model.ts';
import type { ModelRepository } from '#shared/db/repositories/model-repository.ts';
import { recordAudit } from '../audit.ts';
import { validate, type Validated } from '../middleware/validate.ts';
import { createModelBody, listModelsQuery, modelIdParams, patchModelBody } from '../schemas/model-schemas.ts';

export interface ModelsRouterDeps {
  models: ModelRepository;
  db: Db;
}

type PatchState = Validated<'params', typeof modelIdParams> & Validated<'body', typeof patchModelBody>;

const modelFields = Object.keys(ModelEntity.meta.properties);

/** Plain JSON of a model, the same in responses and audit rows; unset optional fields are `null`, never missing. */
export function modelView(model: Model): Record<string, unknown> {
  const plain = wrap(model).toObject() as Record<string, unknown>;
  return Object.fromEntries(modelFields.map((field) => [field, plain[field] ?? null]));
}

/** `/api/v1/models`: the model registry. Every change leaves an audit_log row. */
export function modelsRouter({ models, db }: ModelsRouterDeps): Router {
  const router = new Router({ prefix: '/api/v1/models' });
  const audit = (action: string, id: number, before: Model | null, after: Model | null) =>
    recordAudit(db, { action, entity: 'model', entityId: String(id), before: before && modelView(before), after: after && modelView(after) });

  router.get('/', validate('query', listModelsQuery), async (ctx) => {
    const { cursor, limit, ...filters } = ctx.state.query;
    const page = await models.list(filters, { cursor, limit });
    ctx.body = { items: page.items.map(modelView), nextCursor: page.nextCursor === null ? null : String(page.nextCursor) };
  });

  router.get('/:id', validate('params', modelIdParams), async (ctx) => {
    ctx.body = modelView(await models.get(ctx.state.params.id));
  });

  router.post('/', validate('body', createModelBody), async (ctx) => {
    const created = await models.create(ctx.state.body);
    await audit('model.create', created.id, null, created);
    ctx.status = 201;
    ctx.set('Location', `/api/v1/models/${created.id}`);
    ctx.body = modelView(created);
  });

  router.patch<PatchState>('/:id', validate('params', modelIdParams), validate('body', patchModelBody), async (ctx) => {
    const id = ctx.state.params.id;
    const before = await models.get(id);
    const after = await models.update(id, ctx.state.body);
    await audit('model.update', id, before, after);
    ctx.body = modelView(after);
  });

  router.delete('/:id', validate('params', modelIdParams), async (ctx) => {
    const id = ctx.state.params.id;
    const before = await models.get(id);
    await models.remove(id);
    await audit('model.delete', id, before, null);
    ctx.status = 204;
  });

  for (const [action, enabled] of [['enable', true], ['disable', false]] as const) {
    router.post(`/:id/${action}`, validate('params', modelIdParams), async (ctx) => {
      const id = ctx.state.params.id;
      const before = await models.get(id);
      const after = await models.setEnabled(id, enabled);
      await audit(`model.${action}`, id, before, after);
      ctx.body = modelView(after);
    });
  }

  return router;
}
