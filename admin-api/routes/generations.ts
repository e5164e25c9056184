import type Router from '@koa/router';
import type { GenerationRepository, GenerationRow } from '#shared/db/repositories/generation-repository.ts';
import { validate } from '../middleware/validate.ts';
import { apiPrefix, newRouter } from '../routing.ts';
import { generationIdParams, listGenerationsQuery } from '../schemas/generation-schemas.ts';

export interface GenerationsRouterDeps {
  generations: GenerationRepository;
}

/** A generation as the API shows it: the interaction token is a credential and never leaves. */
export function generationView(row: GenerationRow): Omit<GenerationRow, 'interactionToken'> {
  const { interactionToken: _secret, ...view } = row;
  return view;
}

/** `/api/v1/generations`: read-only history with filters and keyset pages. */
export function generationsRouter({ generations }: GenerationsRouterDeps): Router {
  const base = `${apiPrefix}/generations`;
  const router = newRouter();

  router.get(base, validate('query', listGenerationsQuery), async (ctx) => {
    const { cursor, limit, ...filters } = ctx.state.query;
    const page = await generations.list(filters, { cursor, limit });
    ctx.body = { items: page.items.map(generationView), nextCursor: page.nextCursor };
  });

  router.get(`${base}/:id`, validate('params', generationIdParams), async (ctx) => {
    ctx.body = generationView(await generations.get(ctx.state.params.id));
  });

  return router;
}
