import type Router from '@koa/router';
import type { Context } from 'koa';
import type { GenerationOutput } from '#shared/db/entities/generation.ts';
import { withTransaction } from '#shared/db/pool.ts';
import { GenerationRepository } from '#shared/db/repositories/generation-repository.ts';
import { insertAudit } from '#shared/db/sql/audit.ts';
import { lockOutputs } from '#shared/db/sql/outputs.ts';
import { setKept } from '#shared/db/sql/keep.ts';
import { AppError, ErrorCode } from '#shared/errors.ts';
import { isKept } from '#shared/retention/keep-state.ts';
import { adminActor } from '../audit.ts';
import { validate } from '../middleware/validate.ts';
import { apiPrefix, newRouter } from '../routing.ts';
import { generationIdParams } from '../schemas/generation-schemas.ts';
import { generationView, type QueueDeps } from './generations.ts';

/**
 * `PUT|DELETE /api/v1/generations/:id/keep`: keep every image of a generation from retention (the ⭐
 * button's path for operators), or stop keeping them; audited in the same transaction.
 */
export function keepRouter({ queue }: { queue?: QueueDeps }): Router {
  const router = newRouter();
  const path = `${apiPrefix}/generations/:id/keep`;

  async function change(ctx: Context, id: string, kept: boolean): Promise<void> {
    if (!queue) throw new AppError(ErrorCode.Internal, 'this admin API runs without a database pool for transactions', { status: 503, expose: true });
    const row = await withTransaction(queue.pool, async (db) => {
      const lock = lockOutputs(id);
      const before = (await db.executeSql<{ outputs: GenerationOutput[] }>(lock.text, lock.values)).rows[0];
      if (!before) throw new AppError(ErrorCode.NotFound, `generation ${id} not found`, { details: { id } });
      const { text, values } = setKept(id, kept);
      await db.executeSql(text, values);
      const audit = insertAudit({
        actor: adminActor, action: kept ? 'generation.keep' : 'generation.unkeep', entity: 'generation', entityId: id,
        before: { kept: isKept(before.outputs) }, after: { kept },
      });
      await db.executeSql(audit.text, audit.values);
      return new GenerationRepository(db).get(id);
    });
    ctx.body = generationView(row);
  }

  router.put(path, validate('params', generationIdParams), (ctx) => change(ctx, ctx.state.params.id, true));
  router.delete(path, validate('params', generationIdParams), (ctx) => change(ctx, ctx.state.params.id, false));
  return router;
}
