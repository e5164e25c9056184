import { setTimeout as delay } from 'node:timers/promises';
import sharp from 'sharp';
import type { ImageRef } from '#shared/comfyui/api-types.ts';
import type { ComfyClient } from '#shared/comfyui/client.ts';
import { followPrompt, type FollowProgress } from '#shared/comfyui/follow-prompt.ts';
import type { PromptOutcome } from '#shared/comfyui/prompt-outcome.ts';
import { ComfyValidationError } from '#shared/comfyui/validation-error.ts';
import { buildWorkflow, isTemplateName, validateWorkflow } from '#shared/comfyui/workflow/index.ts';
import type { GenerationOutput } from '#shared/db/entities/generation.ts';
import { GenerationRepository, type GenerationRow } from '#shared/db/repositories/generation-repository.ts';
import { setProgress } from '#shared/db/sql/generations.ts';
import { markInstanceHealth, recordCheckpointRun, selectInstance, type InstanceRow } from '#shared/db/sql/instances.ts';
import { AppError, ErrorCode } from '#shared/errors.ts';
import { isTerminal } from '#shared/generation/status.ts';
import type { Logger } from '#shared/logging.ts';
import type { JobPayload } from '#shared/queue/contracts.ts';
import { sendJob } from '#shared/queue/send.ts';
import { generationPrefix, originalKey } from '#shared/storage/keys.ts';
import type { JobDefinition, JobHelpers, SchedulerContext } from '../context.ts';
import { isSettled, lookupPrompt } from '../comfy/follow.ts';
import type { InstancePool } from '../comfy/instance-pool.ts';
import { claimSlot } from '../placement.ts';
import { failWith, settle } from '../settle.ts';

export interface GenerateContext extends SchedulerContext {
  instances: InstancePool;
  /** Local parallelism: the sum of the instances' queue depths, so each GPU has its next prompt waiting. */
  generateConcurrency: number;
}

const slotWaitMs = 150;
const probeEveryMs = 2000;
const maxPlacementsPerAttempt = 5;
const progressEditEveryMs = 1500;

/** Runs one generation on ComfyUI, resuming from its stored prompt id after any crash. */
export const generateJob: JobDefinition<JobPayload<'generate'>> & { name: 'generate' } = {
  name: 'generate',
  // pg-boss waits out the polling interval after a job shorter than it; the minimum (0.5 s) keeps
  // a worker that just finished from idling while jobs wait (NOTIFY only covers new jobs).
  workOptions: (ctx) => ({
    localConcurrency: (ctx as GenerateContext).generateConcurrency,
    pollingIntervalSeconds: 0.5,
    notifyPollingIntervalSeconds: 0.5,
  }),
  async handle(base, { generationId }, helpers) {
    const ctx = base as GenerateContext;
    const repo = new GenerationRepository(ctx.db);
    // An instance failing under us sends the request back to placement; after a few moves the
    // job fails over to pg-boss's retry (with backoff) rather than spinning.
    for (let placement = 0; placement < maxPlacementsPerAttempt; placement++) {
      const g = await repo.get(generationId);
      if (isTerminal(g.status)) return;
      if (g.status === 'cancel_requested' && !g.comfyPromptId) {
        await settle(ctx.pool, ctx.boss, g.id, 'cancelled');
        return;
      }
      if (g.comfyPromptId && g.comfyInstanceId) {
        if ((await resume(ctx, g, helpers)) === 'done') return;
        continue;
      }
      if (g.status !== 'queued') return;
      const claim = await waitForSlot(ctx, g, helpers);
      if (!claim) return;
      if ((await run(ctx, claim.generation, claim.instance, helpers, true)) === 'done') return;
    }
    throw new AppError(ErrorCode.ComfyUnavailable, `generation ${generationId}: instances kept failing; retrying later`);
  },
};

/** A retried job: collect, follow or resubmit what the previous attempt left, never run it twice. */
async function resume(ctx: GenerateContext, g: GenerationRow, helpers: JobHelpers): Promise<'done' | 'requeued'> {
  const instance = await loadInstance(ctx, g.comfyInstanceId!);
  const client = ctx.instances.client(instance.baseUrl);
  let state;
  try {
    state = await lookupPrompt(client, g.comfyPromptId!, helpers.signal);
  } catch (err) {
    helpers.logger.warn({ err, instance: instance.name }, 'instance of the previous attempt is unreachable; moving the job');
    await markHealth(ctx, instance.id, false, (err as Error).message);
    await requeue(ctx, g);
    return 'requeued';
  }
  helpers.logger.info({ state: state.status, promptId: g.comfyPromptId }, 'resuming a previous attempt');
  if (state.status === 'unknown') {
    // Never reached ComfyUI, or ComfyUI restarted and lost its queue: submit the same prompt id again.
    if (g.status === 'cancel_requested') {
      await settle(ctx.pool, ctx.boss, g.id, 'cancelled');
      return 'done';
    }
    return run(ctx, g, instance, helpers, true);
  }
  if (!isSettled(state)) return run(ctx, g, instance, helpers, false);
  await finish(ctx, g, instance, client, state, helpers);
  return 'done';
}

async function waitForSlot(ctx: GenerateContext, g: GenerationRow, helpers: JobHelpers) {
  const repo = new GenerationRepository(ctx.db);
  let lastProbe = 0;
  for (;;) {
    helpers.signal.throwIfAborted();
    const claim = await claimSlot(ctx.pool, g, helpers.jobId).catch((err: unknown) => {
      // Cancelled (or settled) between our read and the claim.
      if (err instanceof AppError && err.code === ErrorCode.InvalidTransition) return undefined;
      throw err;
    });
    if (!claim) return undefined;
    if (claim.ok) return claim;
    if (claim.reason === 'no_instance_has_models') {
      await settle(ctx.pool, ctx.boss, g.id, 'failed', failWith(ErrorCode.ModelMissing, `No image server has ${describeModels(g)}. Pick another model or ask an operator to install it.`));
      return undefined;
    }
    const now = await repo.get(g.id);
    if (now.status !== 'queued') {
      if (now.status === 'cancel_requested') await settle(ctx.pool, ctx.boss, g.id, 'cancelled');
      return undefined;
    }
    if (claim.reason === 'unavailable' && Date.now() - lastProbe > probeEveryMs) {
      lastProbe = Date.now();
      await probeUnhealthy(ctx, claim.unhealthy);
      continue;
    }
    await delay(claim.reason === 'no_instance' ? slotWaitMs * 10 : slotWaitMs, undefined, { signal: helpers.signal });
  }
}

/** The only instances that have a request's models are down: ask them again instead of waiting for cron. */
async function probeUnhealthy(ctx: GenerateContext, instances: { id: number; baseUrl: string }[]): Promise<void> {
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
async function run(ctx: GenerateContext, g: GenerationRow, instance: InstanceRow, helpers: JobHelpers, submit: boolean): Promise<'done' | 'requeued'> {
  const log = helpers.logger.child({ promptId: g.comfyPromptId, instance: instance.name });
  const client = ctx.instances.client(instance.baseUrl);
  if (submit) {
    const graph = await buildChecked(ctx, g, instance);
    if (!graph) return 'done';
    await ctx.__test__?.checkpoint?.('before-submit', g.id);
    try {
      await client.submit(graph, { promptId: g.comfyPromptId!, signal: helpers.signal });
    } catch (err) {
      if (err instanceof ComfyValidationError) {
        await settle(ctx.pool, ctx.boss, g.id, 'failed', failWith(ErrorCode.ComfyValidation, err.message));
        return 'done';
      }
      if (helpers.signal.aborted) throw err;
      log.warn({ err }, 'submit failed; the instance is marked unhealthy and the request placed again');
      await markHealth(ctx, instance.id, false, (err as Error).message);
      await requeue(ctx, g);
      return 'requeued';
    }
    await ctx.__test__?.checkpoint?.('after-submit', g.id);
  }

  const budgetMs = ctx.config.GENERATION_TIMEOUT_SECONDS * 1000 - (Date.now() - (g.startedAt ?? new Date()).getTime());
  const watch = watchWhileRunning(ctx, g, client, helpers);
  let outcome: PromptOutcome;
  try {
    const { events } = ctx.instances.connection(instance.baseUrl);
    outcome = await followPrompt(client, events, g.comfyPromptId!, {
      signal: helpers.signal,
      timeoutMs: Math.max(1000, budgetMs),
      pollIntervalMs: 1000,
      onProgress: watch.onProgress,
    });
  } catch (err) {
    if (err instanceof AppError && err.code === ErrorCode.Timeout) {
      await client.cancel(g.comfyPromptId!).catch(() => undefined);
      await settle(ctx.pool, ctx.boss, g.id, 'failed', failWith(ErrorCode.Timeout, 'This took too long and was stopped. Try fewer steps, a smaller size or a smaller batch.'));
      return 'done';
    }
    if (helpers.signal.aborted) throw err;
    log.warn({ err }, 'lost the instance while following; the request is placed again');
    await markHealth(ctx, instance.id, false, (err as Error).message);
    await requeue(ctx, g);
    return 'requeued';
  } finally {
    watch.stop();
  }
  if (outcome.status === 'unknown') {
    if (await cancelWanted(ctx, g.id)) {
      await settle(ctx.pool, ctx.boss, g.id, 'cancelled');
      return 'done';
    }
    // Never started there (a restart lost its queue): the stored prompt id is free to submit again.
    log.warn('instance lost the prompt (restart?); submitting it again');
    return submit ? 'requeued' : run(ctx, g, instance, helpers, true);
  }
  await finish(ctx, g, instance, client, outcome, helpers);
  return 'done';
}

/**
 * While a prompt runs: pass a user's cancel on to ComfyUI, record progress (at most every 500 ms)
 * and enqueue message edits (at most one per 1.5 s, Discord's comfortable edit rate).
 */
function watchWhileRunning(ctx: GenerateContext, g: GenerationRow, client: ComfyClient, helpers: JobHelpers) {
  const repo = new GenerationRepository(ctx.db);
  let progress = 0;
  let written = 0;
  let lastWrite = 0;
  let lastEdit = 0;
  let cancelSent = false;
  let busy = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      const now = await repo.get(g.id);
      if (now.status === 'cancel_requested' && !cancelSent) {
        cancelSent = true;
        const how = await client.cancel(g.comfyPromptId!);
        helpers.logger.info({ how }, 'cancel requested by the user');
      }
      if (progress > written && Date.now() - lastWrite >= 500 && now.status === 'running') {
        written = progress;
        lastWrite = Date.now();
        const stmt = setProgress(g.id, progress);
        await ctx.db.executeSql(stmt.text, stmt.values);
        if (Date.now() - lastEdit >= progressEditEveryMs) {
          lastEdit = Date.now();
          await sendJob(ctx.boss, 'deliver', { generationId: g.id, kind: 'progress' });
        }
      }
      await ctx.__test__?.checkpoint?.('mid-run', g.id);
    } catch (err) {
      helpers.logger.warn({ err }, 'progress/cancel check failed');
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void tick(), 250);
  return {
    onProgress(p: FollowProgress) {
      if (p.stage === 'running' && p.value !== undefined && p.max) progress = Math.min(0.99, p.value / p.max);
    },
    stop() {
      clearInterval(timer);
    },
  };
}

async function cancelWanted(ctx: GenerateContext, id: string): Promise<boolean> {
  return (await new GenerationRepository(ctx.db).get(id)).status === 'cancel_requested';
}

async function finish(ctx: GenerateContext, g: GenerationRow, instance: InstanceRow, client: ComfyClient, outcome: PromptOutcome, helpers: JobHelpers): Promise<void> {
  await ctx.__test__?.checkpoint?.('after-finish', g.id);
  if (outcome.status === 'interrupted') {
    const wanted = await cancelWanted(ctx, g.id);
    await settle(ctx.pool, ctx.boss, g.id, wanted ? 'cancelled' : 'failed', wanted ? {} : failWith(ErrorCode.Cancelled, 'The image server stopped this request. Please try again.'));
    return;
  }
  if (outcome.status === 'error') {
    helpers.logger.warn({ err: outcome.error, details: outcome.error.details }, 'ComfyUI execution error');
    await settle(ctx.pool, ctx.boss, g.id, 'failed', failWith(outcome.error.code, outcome.error.message));
    return;
  }
  if (outcome.status !== 'success') return;
  const outputs = await storeOutputs(ctx, g, client, outcome.images, helpers);
  await recordRun(ctx, instance.id, g);
  await ctx.__test__?.checkpoint?.('after-store', g.id);
  await settle(ctx.pool, ctx.boss, g.id, 'succeeded', { outputs }, { thumbnail: true });
  helpers.logger.info({ outputs: outputs.length }, 'generation succeeded');
}

async function storeOutputs(
  ctx: GenerateContext,
  g: GenerationRow,
  client: ComfyClient,
  refs: ImageRef[],
  helpers: JobHelpers,
): Promise<GenerationOutput[]> {
  const prefix = generationPrefix(g.userId, g.createdAt, g.id);
  const images = refs.filter((r) => (r.type ?? 'output') === 'output');
  const outputs: GenerationOutput[] = [];
  for (const [index, ref] of images.entries()) {
    const stream = await client.openOutput(ref, helpers.signal);
    if (index === 0) await ctx.__test__?.checkpoint?.('mid-download', g.id);
    const stored = await ctx.storage.put(originalKey(prefix, index), stream);
    try {
      const meta = await sharp(await ctx.storage.get(stored.key)).metadata();
      outputs.push({ index, status: 'stored', path: stored.key, bytes: stored.bytes, sha256: stored.sha256, width: meta.width, height: meta.height });
    } catch (err) {
      outputs.push({ index, status: 'failed', path: stored.key, bytes: stored.bytes, sha256: stored.sha256, error: `image could not be read: ${(err as Error).message}` });
    }
  }
  return outputs;
}

async function buildChecked(ctx: GenerateContext, g: GenerationRow, instance: InstanceRow) {
  if (!isTemplateName(g.workflowTemplate)) {
    await settle(ctx.pool, ctx.boss, g.id, 'failed', failWith(ErrorCode.Validation, `Unknown workflow template '${g.workflowTemplate}'.`));
    return undefined;
  }
  const graph = buildWorkflow(g.workflowTemplate, {
    checkpoint: g.checkpoint,
    loras: g.loras,
    ...(g.vae ? { vae: g.vae } : {}),
    prompt: g.prompt,
    negativePrompt: g.negativePrompt,
    width: g.width,
    height: g.height,
    batchSize: g.batchSize,
    seed: g.seed,
    steps: g.steps,
    cfg: g.cfg,
    sampler: g.sampler,
    scheduler: g.scheduler,
    denoise: g.denoise,
    filenamePrefix: `genonaut/${g.id}`,
  });
  const problems = validateWorkflow(graph, await ctx.instances.objectInfo(instance.baseUrl));
  if (problems.length > 0) {
    ctx.instances.forgetObjectInfo(instance.baseUrl);
    await settle(ctx.pool, ctx.boss, g.id, 'failed', failWith(ErrorCode.ComfyValidation, problems.map((p) => p.message).join('\n').slice(0, 1000)));
    return undefined;
  }
  return graph;
}

async function requeue(ctx: SchedulerContext, g: GenerationRow): Promise<void> {
  await new GenerationRepository(ctx.db)
    .transition(g.id, 'queued', { comfyInstanceId: null, comfyPromptId: null, progress: 0 }, ['running'])
    .catch((err: unknown) => {
      if (!(err instanceof AppError && err.code === ErrorCode.InvalidTransition)) throw err;
    });
}

async function loadInstance(ctx: SchedulerContext, id: number): Promise<InstanceRow> {
  const stmt = selectInstance(id);
  const row = (await ctx.db.executeSql<InstanceRow>(stmt.text, stmt.values)).rows[0];
  if (!row) throw new AppError(ErrorCode.NotFound, `instance ${id} not found`);
  return row;
}

async function markHealth(ctx: SchedulerContext, id: number, healthy: boolean, error: string | null): Promise<void> {
  const stmt = markInstanceHealth(id, healthy, error);
  await ctx.db.executeSql(stmt.text, stmt.values);
}

async function recordRun(ctx: SchedulerContext, instanceId: number, g: GenerationRow): Promise<void> {
  const stmt = recordCheckpointRun(instanceId, g.checkpoint, null);
  await ctx.db.executeSql(stmt.text, stmt.values);
}

function describeModels(g: GenerationRow): string {
  return [g.checkpoint, ...g.loras.map((l) => l.name)].join(' + ');
}

export type { Logger };
