import type Router from '@koa/router';
import type pg from 'pg';
import type { PgBoss } from 'pg-boss';
import type { GenerationRepository, GenerationRow } from '#shared/db/repositories/generation-repository.ts';
import { AppError, ErrorCode } from '#shared/errors.ts';
import { requestCancel } from '#shared/generation/cancel.ts';
import { withTransaction, type Db } from '#shared/db/pool.ts';
import { lockGeneration, markGenerationDeleted } from '#shared/db/sql/generations.ts';
import type { GenerationStatus } from '#shared/generation/status.ts';
import { adminActor } from '../audit.ts';
import { generationTimeline } from '../generation-timeline.ts';
import { validate } from '../middleware/validate.ts';
import { apiPrefix, newRouter } from '../routing.ts';
import { generationIdParams, listGenerationsQuery } from '../schemas/generation-schemas.ts';
import { insertAudit } from '../sql/audit.ts';

/** What cancelling needs: the same pool and pg-boss producer path the bot's Cancel button uses. */
export interface QueueDeps {
  pool: pg.Pool;
  boss: PgBoss;
}

export interface GenerationsRouterDeps {
  generations: GenerationRepository;
  queue?: QueueDeps;
}

/** A generation as the API shows it: the interaction token is a credential and never leaves. */
export function generationView(row: GenerationRow): Omit<GenerationRow, 'interactionToken'> {
  const { interactionToken: _secret, ...view } = row;
  return view;
}

/** `/api/v1/generations`: history with filters and keyset pages, one with its timeline, cancel. */
export function generationsRouter({ generations, queue }: GenerationsRouterDeps): Router {
  const base = `${apiPrefix}/generations`;
  const router = newRouter();

  router.get(base, validate('query', listGenerationsQuery), async (ctx) => {
    const { cursor, limit, model, instanceId, from, to, ...filters } = ctx.state.query;
    const page = await generations.list({ ...filters, checkpoint: filters.checkpoint ?? model, comfyInstanceId: instanceId, createdFrom: from, createdTo: to }, { cursor, limit });
    ctx.body = { items: page.items.map(generationView), nextCursor: page.nextCursor };
  });

  router.get(`${base}/:id`, validate('params', generationIdParams), async (ctx) => {
    const row = await generations.get(ctx.state.params.id);
    ctx.body = { ...generationView(row), timeline: generationTimeline(row) };
  });

  // The bot's Cancel path: queued → its pg-boss job cancelled and the limit counters refunded at once;
  // on a GPU → cancel_requested, which the scheduler's generate job passes on to ComfyUI.
  router.post(`${base}/:id/cancel`, validate('params', generationIdParams), async (ctx) => {
    if (!queue) throw new AppError(ErrorCode.Internal, 'this admin API runs without a queue connection, so it cannot cancel', { status: 503, expose: true });
    const { id } = ctx.state.params;
    let row: GenerationRow;
    try {
      row = await requestCancel(queue.pool, queue.boss, id, {
        onChange: async (db, before, after) => {
          const { text, values } = insertAudit({ actor: adminActor, action: 'generation.cancel', entity: 'generation', entityId: id, before: { status: before }, after: { status: after.status } });
          await db.executeSql(text, values);
        },
      });
    } catch (err) {
      if (err instanceof AppError && err.code === ErrorCode.InvalidTransition) {
        const from = (err.details as { from?: string } | undefined)?.from;
        throw new AppError(ErrorCode.Conflict, `nothing to cancel: generation ${id} is ${from === 'cancel_requested' ? 'being cancelled already' : `already ${from}`}`, { details: { id, status: from } });
      }
      throw err;
    }
    ctx.status = 202;
    ctx.body = generationView(row);
  });

  // The 🗑 button's path: deleted_at set (image links answer 410, history hides it), files left for
  // retention to remove. Work still queued or running is cancelled first, in the same transaction.
  router.delete(`${base}/:id`, validate('params', generationIdParams), async (ctx) => {
    const { id } = ctx.state.params;
    const markDeleted = async (db: Db, before: GenerationStatus, after: GenerationStatus) => {
      const marked = (await db.executeSql(markGenerationDeleted(id).text, [id])).rows.length > 0;
      if (!marked) return;
      const audit = insertAudit({ actor: adminActor, action: 'generation.delete', entity: 'generation', entityId: id, before: { status: before, deleted: false }, after: { status: after, deleted: true } });
      await db.executeSql(audit.text, audit.values);
    };
    if (!queue) throw new AppError(ErrorCode.Internal, 'this admin API runs without a queue connection, so it cannot delete (work may need cancelling first)', { status: 503, expose: true });
    const status = (await generations.get(id)).status;
    if (status === 'queued' || status === 'running') {
      try {
        await requestCancel(queue.pool, queue.boss, id, { onChange: (db, before, after) => markDeleted(db, before, after.status) });
        ctx.status = 204;
        return;
      } catch (err) {
        // Finished between the read and the lock: delete it as a finished one below.
        if (!(err instanceof AppError && err.code === ErrorCode.InvalidTransition)) throw err;
      }
    }
    await withTransaction(queue.pool, async (db) => {
      const locked = (await db.executeSql<{ status: GenerationStatus }>(lockGeneration(id).text, [id])).rows[0];
      if (!locked) throw new AppError(ErrorCode.NotFound, `generation ${id} not found`, { details: { generationId: id } });
      await markDeleted(db, locked.status, locked.status);
    });
    ctx.status = 204;
  });

  return router;
}

