import type { GenerationRow } from '#shared/db/repositories/generation-repository.ts';
import { GenerationRepository } from '#shared/db/repositories/generation-repository.ts';
import { markInstanceHealth, recordCheckpointRun, selectInstance, type InstanceRow } from '#shared/db/sql/instances.ts';
import { AppError, ErrorCode } from '#shared/errors.ts';
import type { GenerateContext, SchedulerContext } from '../context.ts';

/** The only instances that have a request's models are down: ask them again instead of waiting for cron. */
export async function probeUnhealthy(ctx: GenerateContext, instances: { id: number; baseUrl: string }[]): Promise<void> {
  await Promise.all(
    instances.map(async (i) => {
      const ok = await ctx.instances
        .client(i.baseUrl)
        .systemStats(AbortSignal.timeout(2000))
        .then(() => true, () => false);
      if (ok) await markHealth(ctx, i.id, true, null);
    }),
  );
}

/** Submits (unless resuming) and follows to the end. 'requeued' = the instance failed; place it again. */
export async function requeue(ctx: SchedulerContext, g: GenerationRow): Promise<void> {
  await new GenerationRepository(ctx.db)
    .transition(g.id, 'queued', { comfyInstanceId: null, comfyPromptId: null, progress: 0 }, ['running'])
    .catch((err: unknown) => {
      if (!(err instanceof AppError && err.code === ErrorCode.InvalidTransition)) throw err;
    });
}

export async function loadInstance(ctx: SchedulerContext, id: number): Promise<InstanceRow> {
  const stmt = selectInstance(id);
  const row = (await ctx.db.executeSql<InstanceRow>(stmt.text, stmt.values)).rows[0];
  if (!row) throw new AppError(ErrorCode.NotFound, `instance ${id} not found`);
  return row;
}

export async function markHealth(ctx: SchedulerContext, id: number, healthy: boolean, error: string | null): Promise<void> {
  const stmt = markInstanceHealth(id, healthy, error);
  await ctx.db.executeSql(stmt.text, stmt.values);
}

export async function recordRun(ctx: SchedulerContext, instanceId: number, g: GenerationRow): Promise<void> {
  const stmt = recordCheckpointRun(instanceId, g.checkpoint, null);
  await ctx.db.executeSql(stmt.text, stmt.values);
}
