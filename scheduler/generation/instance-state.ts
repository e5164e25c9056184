import type { GenerationRow } from '#shared/db/repositories/generation-repository.ts';
import { GenerationRepository } from '#shared/db/repositories/generation-repository.ts';
import { markInstanceHealth, recordInstanceRuns, selectInstance, type InstanceRow } from '#shared/db/sql/instances.ts';
import { AppError, ErrorCode } from '#shared/errors.ts';
import { withTransaction } from '#shared/db/pool.ts';
import { abandonedPromptsOf, forgetAbandonedPrompt, recordAbandonedPrompt } from '#shared/db/sql/abandoned-prompts.ts';
import type { GenerateContext, SchedulerContext } from '../context.ts';
import { foldSpeeds } from './speed-fold.ts';

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

// Speeds measured per instance since its last write, per process (one map per pool, i.e. per database).
const unwritten = new WeakMap<SchedulerContext['pool'], Map<number, { speeds: number[]; lastAt: number; due?: NodeJS.Timeout }>>();
const speedWriteGapMs = 1000;

/**
 * A run finished on `instance` (as read when it was placed or resumed): the checkpoint now warm
 * there is written at once when it changed (placement prefers it), and the run's seconds per step
 * (null: not measured) joins the instance's rolling average, written at most once a second per
 * instance with every speed measured meanwhile (an ETA estimate; a crash loses a second of them).
 */
export async function recordRun(ctx: SchedulerContext, instance: InstanceRow, g: GenerationRow, secondsPerStep: number | null = null): Promise<void> {
  let byInstance = unwritten.get(ctx.pool);
  if (!byInstance) unwritten.set(ctx.pool, (byInstance = new Map()));
  let state = byInstance.get(instance.id);
  if (!state) byInstance.set(instance.id, (state = { speeds: [], lastAt: -Infinity }));
  if (secondsPerStep !== null) state.speeds.push(secondsPerStep);
  const checkpointChanged = instance.lastCheckpoint !== g.checkpoint;
  const wait = state.lastAt + speedWriteGapMs - Date.now();
  if (checkpointChanged || (state.speeds.length > 0 && wait <= 0 && !state.due)) {
    await writeRuns(ctx, instance.id, checkpointChanged ? g.checkpoint : null);
    return;
  }
  if (state.speeds.length === 0 || state.due) return;
  state.due = setTimeout(() => {
    void writeRuns(ctx, instance.id, null).catch((err: unknown) => ctx.logger.warn({ err }, 'could not record instance speeds'));
  }, wait);
  state.due.unref();
}

async function writeRuns(ctx: SchedulerContext, instanceId: number, checkpoint: string | null): Promise<void> {
  const state = unwritten.get(ctx.pool)!.get(instanceId)!;
  clearTimeout(state.due);
  state.due = undefined;
  state.lastAt = Date.now();
  const speeds = state.speeds.splice(0);
  const stmt = recordInstanceRuns(instanceId, checkpoint, foldSpeeds(speeds));
  await ctx.db.executeSql(stmt.text, stmt.values);
}
