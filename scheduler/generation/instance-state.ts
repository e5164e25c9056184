import type { GenerationRow } from '#shared/db/repositories/generation-repository.ts';
import { GenerationRepository } from '#shared/db/repositories/generation-repository.ts';
import { markInstanceHealth, recordCheckpointRun, selectInstance, type InstanceRow } from '#shared/db/sql/instances.ts';
import { AppError, ErrorCode } from '#shared/errors.ts';
import { withTransaction } from '#shared/db/pool.ts';
import { abandonedPromptsOf, forgetAbandonedPrompt, recordAbandonedPrompt } from '#shared/db/sql/abandoned-prompts.ts';
import type { GenerateContext, SchedulerContext } from '../context.ts';

/** The only instances that have a request's models are down: ask them again instead of waiting for cron. */
export async function probeUnhealthy(ctx: GenerateContext, instances: { id: number; baseUrl: string }[]): Promise<void> {
  await Promise.all(instances.map((i) => checkInstance(ctx, i, 2000)));
}

/**
 * Probes an instance; when it answers, first removes the prompts abandoned on it while it was
 * unreachable, then marks it healthy, so it takes new work only once it holds no stale work.
 */
export async function checkInstance(ctx: GenerateContext, instance: { id: number; baseUrl: string }, timeoutMs: number): Promise<string | null> {
  const client = ctx.instances.client(instance.baseUrl);
  try {
    await client.systemStats(AbortSignal.timeout(timeoutMs));
    const list = abandonedPromptsOf(instance.id);
    for (const { promptId } of (await ctx.db.executeSql<{ promptId: string }>(list.text, list.values)).rows) {
      const how = await client.cancel(promptId, AbortSignal.timeout(timeoutMs));
      ctx.logger.info({ promptId, how, instance: instance.baseUrl }, 'removed a prompt abandoned while the instance was unreachable');
      const forget = forgetAbandonedPrompt(instance.id, promptId);
      await ctx.db.executeSql(forget.text, forget.values);
    }
  } catch (err) {
    ctx.metrics.comfyError(instance.id, 'health');
    await markHealth(ctx, instance.id, false, (err as Error).message);
    return (err as Error).message;
  }
  await markHealth(ctx, instance.id, true, null);
  return null;
}

/** The instance failed this request: mark it unhealthy and send the request back to placement. */
export async function leaveInstance(ctx: SchedulerContext, instanceId: number, g: GenerationRow, err: unknown): Promise<'requeued'> {
  ctx.metrics.comfyError(instanceId, 'unreachable');
  await markHealth(ctx, instanceId, false, (err as Error).message);
  await requeue(ctx, g);
  return 'requeued';
}

/**
 * Sends a request back to placement after its instance failed. Its prompt id is recorded as
 * abandoned on that instance (it may still sit in a queue there) in the same transaction.
 */
export async function requeue(ctx: SchedulerContext, g: GenerationRow): Promise<void> {
  await withTransaction(ctx.pool, async (db) => {
    if (g.comfyInstanceId && g.comfyPromptId) {
      const note = recordAbandonedPrompt(g.comfyInstanceId, g.comfyPromptId, g.id);
      await db.executeSql(note.text, note.values);
    }
    await new GenerationRepository(db).transition(g.id, 'queued', { comfyInstanceId: null, comfyPromptId: null, progress: 0 }, ['running']);
  }).catch((err: unknown) => {
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

/** The checkpoint now warm there and, when measured, this run's seconds per step (folded into a rolling average). */
export async function recordRun(ctx: SchedulerContext, instanceId: number, g: GenerationRow, secondsPerStep: number | null = null): Promise<void> {
  const stmt = recordCheckpointRun(instanceId, g.checkpoint, secondsPerStep);
  await ctx.db.executeSql(stmt.text, stmt.values);
}
