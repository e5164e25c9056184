import type Router from '@koa/router';
import { LockMode, wrap } from '@mikro-orm/core';
import type { MikroORM, SqlEntityManager } from '@mikro-orm/postgresql';
import { ComfyInstanceEntity, type ComfyInstance } from '#shared/db/entities/comfy-instance.ts';
import { mapDbError } from '#shared/db/db-errors.ts';
import type { Db } from '#shared/db/pool.ts';
import { AppError, ErrorCode } from '#shared/errors.ts';
import { recordAudit } from '../audit.ts';
import { validate, type Validated } from '../middleware/validate.ts';
import { apiPrefix, newRouter } from '../routing.ts';
import { createInstanceBody, instanceIdParams, patchInstanceBody } from '../schemas/instance-schemas.ts';
import { instanceStatuses, runningOnOrm, type InstanceStatusRow } from '../sql/instances.ts';

export interface InstancesRouterDeps {
  db: Db;
  orm: MikroORM;
}

type PatchState = Validated<'params', typeof instanceIdParams> & Validated<'body', typeof patchInstanceBody>;

/** enabled + draining as one word: `enabled` takes work, `draining` finishes its own and takes none, `disabled` is left alone. */
export function instanceState(row: { enabled: boolean; draining: boolean }): 'enabled' | 'draining' | 'disabled' {
  return !row.enabled ? 'disabled' : row.draining ? 'draining' : 'enabled';
}

export function instanceView(row: InstanceStatusRow): InstanceStatusRow & { state: ReturnType<typeof instanceState> } {
  return { ...row, state: instanceState(row) };
}

const auditFields = ['id', 'name', 'baseUrl', 'enabled', 'draining', 'maxQueueDepth'] as const;
const auditView = (i: ComfyInstance) => Object.fromEntries(auditFields.map((f) => [f, wrap(i).toObject()[f] ?? null]));

const notFound = (id: number) => new AppError(ErrorCode.NotFound, `instance ${id} not found`, { details: { id } });

const stateChanges = {
  enable: { enabled: true, draining: false },
  disable: { enabled: false, draining: false },
  drain: { enabled: true, draining: true },
} as const;

/**
 * `/api/v1/instances`: the ComfyUI servers the scheduler places work on. Every change and its
 * audit_log row commit in one transaction.
 */
export function instancesRouter({ db, orm }: InstancesRouterDeps): Router {
  const base = `${apiPrefix}/instances`;
  const router = newRouter();

  async function status(id: number): Promise<ReturnType<typeof instanceView>> {
    const { text, values } = instanceStatuses(id);
    const row = (await db.executeSql<InstanceStatusRow>(text, values)).rows[0];
    if (!row) throw notFound(id);
    return instanceView(row);
  }

  /**
   * Locks instance `id`, applies `change` and audits it, all in one transaction. A placement locks the
   * instance row it fills too (lockFreeInstanceSql) and reads its state again after the lock, so once a
   * drain or disable commits, no placement that read the old state can still be under way.
   */
  async function changeInstance(action: string, id: number, change: (instance: ComfyInstance, em: SqlEntityManager) => Promise<'kept' | 'removed'>): Promise<void> {
    try {
      await orm.em.fork().transactional(async (em) => {
        const instance = await em.findOne(ComfyInstanceEntity, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
        if (!instance) throw notFound(id);
        const before = auditView(instance);
        const outcome = await change(instance, em);
        await em.flush();
        await recordAudit(em, { action, entity: 'comfy_instance', entityId: String(id), before, after: outcome === 'removed' ? null : auditView(instance) });
      });
    } catch (err) {
      throw mapDbError(err, 'instance');
    }
  }

  router.get(base, async (ctx) => {
    const { text, values } = instanceStatuses();
    ctx.body = { items: (await db.executeSql<InstanceStatusRow>(text, values)).rows.map(instanceView) };
  });

  router.get(`${base}/:id`, validate('params', instanceIdParams), async (ctx) => {
    ctx.body = await status(ctx.state.params.id);
  });

  router.post(base, validate('body', createInstanceBody), async (ctx) => {
    let id: number;
    try {
      id = await orm.em.fork().transactional(async (em) => {
        const instance = em.create(ComfyInstanceEntity, ctx.state.body as never);
        await em.flush();
        await recordAudit(em, { action: 'instance.create', entity: 'comfy_instance', entityId: String(instance.id), before: null, after: auditView(instance) });
        return instance.id;
      });
    } catch (err) {
      throw mapDbError(err, 'instance');
    }
    ctx.status = 201;
    ctx.set('Location', `${base}/${id}`);
    ctx.body = await status(id);
  });

  router.patch<PatchState>(`${base}/:id`, validate('params', instanceIdParams), validate('body', patchInstanceBody), async (ctx) => {
    const { id } = ctx.state.params;
    await changeInstance('instance.update', id, async (instance) => {
      wrap(instance).assign(ctx.state.body);
      instance.updatedAt = new Date();
      return 'kept';
    });
    ctx.body = await status(id);
  });

  router.delete(`${base}/:id`, validate('params', instanceIdParams), async (ctx) => {
    const { id } = ctx.state.params;
    await changeInstance('instance.delete', id, async (instance, em) => {
      // Counted under the placement lock, so nothing is placed on it between this count and the delete.
      const [counted] = await em.execute<{ queueDepth: number }[]>(runningOnOrm(id).text, runningOnOrm(id).values);
      const queueDepth = counted?.queueDepth ?? 0;
      if (queueDepth > 0) {
        throw new AppError(ErrorCode.Conflict, `instance ${id} still runs ${queueDepth} generation(s): drain it and delete it once they finish`, { details: { id, queueDepth } });
      }
      em.remove(instance);
      return 'removed';
    });
    ctx.status = 204;
  });

  for (const [action, change] of Object.entries(stateChanges)) {
    router.post(`${base}/:id/${action}`, validate('params', instanceIdParams), async (ctx) => {
      const { id } = ctx.state.params;
      await changeInstance(`instance.${action}`, id, async (instance) => {
        Object.assign(instance, change, { updatedAt: new Date() });
        return 'kept';
      });
      ctx.body = await status(id);
    });
  }

  return router;
}
