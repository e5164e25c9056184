import type { ImageRef } from '#shared/comfyui/api-types.ts';
import type { ComfyClient } from '#shared/comfyui/client.ts';
import { followPrompt } from '#shared/comfyui/follow-prompt.ts';
import { recordPromptEvents, type PromptEventsRecording } from '#shared/comfyui/prompt-events-recording.ts';
import type { PromptOutcome } from '#shared/comfyui/prompt-outcome.ts';
import { ComfyValidationError } from '#shared/comfyui/validation-error.ts';
import { GenerationRepository, type GenerationRow } from '#shared/db/repositories/generation-repository.ts';
import type { InstanceRow } from '#shared/db/sql/instances.ts';
import { markPromptFinished, promptFinishedBefore } from '#shared/db/sql/prompt-finished.ts';
import { generationPlacedBy, takeOverGeneration } from '#shared/db/sql/slots.ts';
import { AppError, ErrorCode } from '#shared/errors.ts';
import { isTerminal } from '#shared/generation/status.ts';
import { holdIfPaused as holdIfPausedSql } from '#shared/moderation/sql.ts';
import type { JobPayload } from '#shared/queue/contracts.ts';
import { announceLineMoved } from '#shared/queue/send-live.ts';
import type { GenerateContext, JobDefinition, JobHelpers } from '../context.ts';
import { isSettled, lookupPrompt } from '../comfy/follow.ts';
import { buildChecked } from '../generation/checked-workflow.ts';
import { readInitImage, uploadInitImage } from '../generation/init-image.ts';
import { leaveInstance, loadInstance, probeUnhealthy, recordRun, requeue } from '../generation/instance-state.ts';
import { stepTimer } from '../generation/step-timer.ts';
import { OutputsBehind } from '../generation/outputs-behind.ts';
import { storeWithRetry } from '../generation/storage-retry.ts';
import { watchWhileRunning } from '../generation/watch-running.ts';
import { claimNextWaiting, outlookOf, type Claim, type FinishedPrompt, type OwnRead } from '../placement.ts';
import { generateWorkerPollSeconds } from '../generation/idle-workers.ts';
import { fallbackWaitMs, recheckOutlookMs } from '../generation/wait-times.ts';
import { failWith, settle, settleSucceeded, timeoutReason } from '../settle.ts';

const noInstanceWaitMs = 10_000;
const probeEveryMs = 2000;
const maxPlacementsPerAttempt = 5;
const keepServingMs = 30_000;
// How long a worker with nothing left of its own stays as the idle placer: long enough to catch the
// next request of a steady stream at once, short enough that its job ends soon after the work does.
const idleServeMs = 1000;

/**
 * Runs generations on ComfyUI, resuming from their stored prompt ids after any crash.
 *
 * A job does not wait for a slot for its own generation: whenever it can get a slot it runs the
 * most deserving waiting generation (fair priority, then age; see claimNextWaiting), which may be
 * another job's, and keeps doing so while its own waits and while a free slot has work for it. Slots thus go in
 * fair order however many scheduler processes share the database. The job that placed a generation
 * owns it (generation.generate_job_id): its retry resumes it first, and if that job is no longer
 * active the generation's own job takes it over.
 */
export const generateJob: JobDefinition<JobPayload<'generate'>> & { name: 'generate' } = {
  name: 'generate',
  // Idle workers are woken one at a time, by a signal no slot waiter took (new work, a freed slot:
  // SlotSignal's fetcher), or by the process's poll (one worker every 2 s, start-scheduler.ts), so
  // their own polling is only a last resort: every idle worker of every process polling every 2 s
  // was a third of the GPU-farm bench's statements (17 per generation).
  workOptions: (ctx) => ({
    localConcurrency: (ctx as GenerateContext).generateConcurrency,
    pollingIntervalSeconds: generateWorkerPollSeconds,
    notifyPollingIntervalSeconds: generateWorkerPollSeconds,
  }),
  async handle(base, { generationId }, helpers) {
    const ctx = base as GenerateContext;
    const repo = new GenerationRepository(ctx.db);
    // An instance failing under us sends the request back to placement; after a few moves the
    // job fails over to pg-boss's retry (with backoff) rather than spinning.
    let placements = 0;
    // Other jobs' generations this job sent back to placement: their own jobs may have ended (they
    // saw them placed by us), so this job stays until each is placed again or settled.
    const adopted = new Set<string>();
    // Generations placed under this job id are run to the end here, so one is left over only from
    // an earlier attempt of this job (pg-boss counts every start after the first in retryCount),
    // after a take-over, or when a run handed one back still placed (its prompt lost there): only
    // then is it looked for, until none is left.
    let mayOwn = helpers.retryCount > 0;
    // Ours once seen ended (or run to its end here): an ended generation never changes again, so it
    // is not read again on every turn.
    let ownEnded = false;
    const moved = (id: string, result: 'done' | 'requeued') => {
      if (result === 'requeued') mayOwn = true;
      if (result === 'requeued' && id !== generationId) adopted.add(id);
      if (result === 'requeued' && ++placements >= maxPlacementsPerAttempt) {
        throw new AppError(ErrorCode.ComfyUnavailable, `generation ${generationId}: instances kept failing; retrying later`);
      }
    };
    const handlerStarted = Date.now();
    let lastProbe = 0;
    let ranSomething = false;
    const behind = new OutputsBehind();
    // The signal version read before this job's last claim (see claimNextWaiting): a signal since may
    // have been meant for this job (SlotSignal wakes one waiter per signal).
    let looked = ctx.slots.version;
    let outlookAt = 0;
    let lastOutlook: (Awaited<ReturnType<typeof outlookOf>> & { of: string }) | undefined;
    // Whether what was last read about `id` (its guild's pause, where it could run) may be reused.
    const outlookFresh = (id: string) => lastOutlook?.of === id && lastOutlook.outlook === 'placeable' && Date.now() - outlookAt < recheckOutlookMs(ctx.slots.waiting);
    let quietWaits = 0;
    // Our own generation as the last claim that took nothing left it: read in that claim's statement
    // instead of in one of its own after it (a waiting job's every turn).
    const ownRead: OwnRead = { id: generationId };
    const claim = async (finished?: FinishedPrompt) => {
      looked = ctx.slots.version;
      const claimed = await claimNextWaiting(ctx.claimPool, helpers.jobId, ctx.slots, finished, ownEnded ? undefined : ownRead);
      if (!claimed) ctx.slots.nothingToClaimAt(looked);
      return claimed;
    };
    // A job just fetched while every slot is taken skips its first claim: no signal since a claim of
    // this process found nothing means no slot freed and no work arrived (each is announced). Later
    // turns claim regardless, so a change nobody announces is still found on the fallback wait.
    let firstTurn = true;
    try {
      for (;;) {
        helpers.signal.throwIfAborted();
        behind.throwIfFailed();
        // Within the keep-serving time the job claims first and reads its own generation only when
        // the claim found nothing: what it claims (the most deserving) does not depend on whether its
        // own still waits, only whether it then waits or ends does.
        const serving = Date.now() - handlerStarted <= keepServingMs;
        // The prompt this job just saw finish gives up its slot in that claim; marked on its own when
        // something else comes first.
        let handOff = behind.takeHandOff();
        if (handOff && (mayOwn || !serving)) {
          await markFinished(ctx, handOff);
          handOff = undefined;
        }
        const owned = mayOwn ? await placedBy(ctx, helpers.jobId) : undefined;
        if (owned) {
          ranSomething = true;
          const result = await ctx.placedHere.run(owned.id, () => resume(ctx, owned, helpersFor(helpers, owned)));
          if (result === 'done' && owned.id === generationId) ownEnded = true;
          moved(owned.id, result);
          continue;
        }
        mayOwn = false;
        const seen = ctx.slots.version;
        ownRead.row = undefined;
        let claimed = serving && (!firstTurn || handOff || ctx.slots.mayClaim) ? await claim(handOff) : undefined;
        firstTurn = false;
        let waiting: GenerationRow | undefined;
        if (!claimed) {
          // Ours placed by a job of this process: neither waiting nor to take over, known without a read.
          const here = !ownEnded && !ownRead.row && adopted.size === 0 ? ctx.placedHere.state(generationId) : undefined;
          if (here === 'ended') ownEnded = true;
          const g = here ? undefined : await waitingOne(repo, generationId, ownEnded, adopted, ownRead.row);
          if (g?.id === generationId && isTerminal(g.status)) ownEnded = true;
          if (g?.status === 'cancel_requested' && !g.comfyPromptId) {
            await settle(ctx.pool, ctx.boss, g.id, 'cancelled');
            continue;
          }
          if (g?.status === 'queued' && !outlookFresh(g.id) && (await holdIfPaused(ctx, g))) {
            helpers.logger.info({ guildId: g.guildId }, 'guild paused: generation held until it resumes');
            return;
          }
          // Placed by another job: its work while that job lives; ours (resumed above) once it is gone.
          if (g && isPlaced(g) && (await takeOver(ctx, g.id, helpers.jobId))) {
            mayOwn = true;
            continue;
          }
          // Ours started or ended elsewhere: keep running whoever deserves a free slot for a while, as a
          // job that ends leaves its worker idle for pg-boss's polling interval (the generate queue is
          // woken only by new work). Bounded, so that a job stays far inside its expiry.
          waiting = g?.status === 'queued' ? g : undefined;
          if (!waiting && ranSomething && !serving) return;
          claimed = (serving ? undefined : await claim())
            ?? (!waiting && adopted.size === 0 ? await claimWhenIdle(ctx, helpers, claim, seen, Math.min(handlerStarted + keepServingMs, Date.now() + idleServeMs)) : undefined);
        }
        if (claimed) {
          ranSomething = true;
          // Everyone waiting behind it moved up (best effort: the next move repairs a lost one). Not
          // awaited: the prompt goes to ComfyUI without waiting for a round trip it does not need.
          void announceLineMoved(ctx.boss).catch((err: unknown) => helpers.logger.warn({ err }, 'could not announce the line move'));
          const { generation, instance } = claimed;
          const result = await ctx.placedHere.run(generation.id, () => run(ctx, generation, instance, helpersFor(helpers, generation), true, behind));
          if (result === 'done' && generation.id === generationId) ownEnded = true;
          moved(generation.id, result);
          continue;
        }
        if (!waiting) return;
        if (!lastOutlook || !outlookFresh(waiting.id)) {
          lastOutlook = { ...(await outlookOf(ctx.db, waiting)), of: waiting.id };
          outlookAt = Date.now();
        }
        const { outlook, unhealthy } = lastOutlook;
        if (outlook === 'no_instance_has_models') {
          await settle(ctx.pool, ctx.boss, waiting.id, 'failed', failWith(ErrorCode.ModelMissing, `No image server has ${describeModels(waiting)}. Pick another model or ask an operator to install it.`));
          return;
        }
        if (outlook === 'unavailable' && Date.now() - lastProbe > probeEveryMs) {
          lastProbe = Date.now();
          await probeUnhealthy(ctx, unhealthy);
          continue;
        }
        await ctx.slots.wait(seen, outlook === 'no_instance' ? noInstanceWaitMs : fallbackWaitMs(quietWaits, ctx.slots.waiting), helpers.signal);
        quietWaits = ctx.slots.version === seen ? quietWaits + 1 : 0;
      }
    } finally {
      const handOff = behind.takeHandOff();
      if (handOff) await markFinished(ctx, handOff).catch((err: unknown) => helpers.logger.warn({ err }, 'could not mark a finished prompt; its slot frees when it settles'));
      await behind.drain();
      // A signal since the job's last claim may have been meant for it (it was the waiter woken, or
      // the slot freed while every worker was busy): pass it on, so that slot is not left to the
      // fallback poll. One that came before that claim was covered by it (claimNextWaiting).
      if (ctx.slots.version !== looked) ctx.slots.passOn();
      // A job that ran nothing (its request was run by another job, or ended) leaves its worker idle
      // until pg-boss's next poll; more like it may wait unfetched after a burst, so one idle worker
      // fetches now: such jobs drain one after another instead of one per worker per polling interval.
      else if (!ranSomething) ctx.slots.fetchAnother();
    }
    behind.throwIfFailed();
  },
};

/**
 * Nothing of ours waits: as this process's one idle placer (see SlotSignal.becomeIdlePlacer), wait
 * for new work or a freed slot and claim it the moment the NOTIFY arrives, without waiting for
 * pg-boss to fetch the new job and its handler to look first. Bounded (idleServeMs, keep-serving).
 */
async function claimWhenIdle(
  ctx: GenerateContext, helpers: JobHelpers, claim: () => Promise<Claim | undefined>, seen: number, deadline: number,
): Promise<Claim | undefined> {
  if (!ctx.slots.becomeIdlePlacer()) return undefined;
  try {
    for (let since = seen; Date.now() < deadline; ) {
      await ctx.slots.wait(since, deadline - Date.now(), helpers.signal);
      if (helpers.signal.aborted || !ctx.slots.serving) return undefined;
      // Read BEFORE the claim: a signal during a claim that finds nothing ends the next wait at once.
      since = ctx.slots.version;
      const claimed = await claim();
      if (claimed) return claimed;
    }
    return undefined;
  } finally {
    ctx.slots.leaveIdlePlacer();
  }
}

/**
 * Ours while it waits; else the first adopted generation still waiting for a slot; else ours as
 * read, or undefined once it is known to have ended (it is not read again).
 */
async function waitingOne(
  repo: GenerationRepository, generationId: string, ownEnded: boolean, adopted: Set<string>, ownJustRead: GenerationRow | undefined,
): Promise<GenerationRow | undefined> {
  const own = ownEnded ? undefined : (ownJustRead ?? (await repo.get(generationId)));
  if (own && (own.status === 'queued' || own.status === 'cancel_requested')) return own;
  for (const id of adopted) {
    const g = await repo.get(id);
    if (g.status === 'queued' || (g.status === 'cancel_requested' && !g.comfyPromptId)) return g;
    adopted.delete(id);
  }
  return own;
}

/** Placed and not ended: only then can it be taken over (takeOverGeneration's condition). */
const isPlaced = (g: GenerationRow) => Boolean(g.comfyPromptId && g.comfyInstanceId) && (g.status === 'running' || g.status === 'cancel_requested');

async function placedBy(ctx: GenerateContext, jobId: string): Promise<GenerationRow | undefined> {
  const stmt = generationPlacedBy(jobId);
  return (await ctx.db.executeSql<GenerationRow>(stmt.text, stmt.values)).rows[0];
}

/** Marks our queued generation held when its guild is paused; resume sends its job again. */
async function holdIfPaused(ctx: GenerateContext, g: GenerationRow): Promise<boolean> {
  if (!g.guildId) return false;
  const stmt = holdIfPausedSql(g.id, g.guildId);
  return ((await ctx.db.executeSql(stmt.text, stmt.values, stmt.name)).rowCount ?? 0) > 0;
}

async function takeOver(ctx: GenerateContext, generationId: string, jobId: string): Promise<boolean> {
  const stmt = takeOverGeneration(generationId, jobId);
  return ((await ctx.db.executeSql(stmt.text, stmt.values)).rowCount ?? 0) > 0;
}

/** Logs of a generation run by another generation's job name the one actually run. */
function helpersFor(helpers: JobHelpers, g: GenerationRow): JobHelpers {
  return { ...helpers, logger: helpers.logger.child({ running: g.id }) };
}

/** A retried job: collect, follow or resubmit what the previous attempt left, never run it twice. */
async function resume(ctx: GenerateContext, g: GenerationRow, helpers: JobHelpers): Promise<'done' | 'requeued'> {
  const instance = await loadInstance(ctx, g.comfyInstanceId!);
  const client = ctx.instances.client(instance.baseUrl);
  let state;
  try {
    state = await lookupPrompt(client, g.comfyPromptId!, helpers.signal);
  } catch (err) {
    helpers.logger.warn({ err, instance: instance.name }, 'instance of the previous attempt is unreachable; moving the job');
    return leaveInstance(ctx, instance.id, g, err);
  }
  helpers.logger.info({ state: state.status, promptId: g.comfyPromptId }, 'resuming a previous attempt');
  if (state.status === 'unknown') {
    // Never reached ComfyUI, or ComfyUI restarted and lost its queue: submit the same prompt id again.
    if (g.status === 'cancel_requested') {
      await settle(ctx.pool, ctx.boss, g.id, 'cancelled');
      return 'done';
    }
    // It had finished there and given up its slot, which another prompt may hold now: submitting it
    // again would pass the instance's depth, so it goes back to placement.
    if (await finishedBefore(ctx, g.id)) {
      await requeue(ctx, g);
      return 'requeued';
    }
    return run(ctx, g, instance, helpers, true);
  }
  if (!isSettled(state)) return run(ctx, g, instance, helpers, false);
  // Resumed after it ended: no progress was seen, so no speed to record.
  await finish(ctx, g, instance, client, state, helpers, null);
  return 'done';
}

/** `behind`: where a success's outputs may be stored while the job goes on (see OutputsBehind). */
async function run(
  ctx: GenerateContext, g: GenerationRow, instance: InstanceRow, helpers: JobHelpers, submit: boolean, behind?: OutputsBehind,
): Promise<'done' | 'requeued'> {
  const log = helpers.logger.child({ promptId: g.comfyPromptId, instance: instance.name });
  const { client, events } = ctx.instances.connection(instance.baseUrl);
  let recorded: PromptEventsRecording | undefined;
  if (submit) {
    let initImage: string | undefined;
    if (g.initImageKey) {
      const bytes = await readInitImage(ctx.storage, g);
      if (!bytes) {
        await settle(ctx.pool, ctx.boss, g.id, 'failed', failWith(ErrorCode.NotFound, 'The picture this request starts from is no longer stored.'));
        return 'done';
      }
      try {
        initImage = await uploadInitImage(client, bytes, helpers.signal);
      } catch (err) {
        if (helpers.signal.aborted) throw err;
        // Refused (4xx, e.g. over the instance's upload cap): the picture, not the instance, is the problem.
        const status = err instanceof AppError ? (err.details as { status?: number } | undefined)?.status : undefined;
        if (status !== undefined && status >= 400 && status < 500) {
          await settle(ctx.pool, ctx.boss, g.id, 'failed', failWith(ErrorCode.ComfyValidation, `The image server refused the starting picture (HTTP ${status}).`));
          return 'done';
        }
        log.warn({ err }, 'could not upload the starting picture; the request is placed again');
        return leaveInstance(ctx, instance.id, g, err);
      }
    }
    const graph = await buildChecked(ctx, g, instance, initImage);
    if (!graph) return 'done';
    await ctx.__test__?.checkpoint?.('before-submit', g.id);
    // From before the submission, so that following it sees every event even of a prompt that ran at once.
    recorded = recordPromptEvents(events, g.comfyPromptId!);
    try {
      await client.submit(graph, { promptId: g.comfyPromptId!, signal: helpers.signal });
    } catch (err) {
      recorded.stop();
      if (err instanceof ComfyValidationError) {
        await settle(ctx.pool, ctx.boss, g.id, 'failed', failWith(ErrorCode.ComfyValidation, err.message));
        return 'done';
      }
      if (helpers.signal.aborted) throw err;
      log.warn({ err }, 'submit failed; the instance is marked unhealthy and the request placed again');
      return leaveInstance(ctx, instance.id, g, err);
    }
    try {
      await ctx.__test__?.checkpoint?.('after-submit', g.id);
    } catch (err) {
      recorded.stop();
      throw err;
    }
  }

  const budgetMs = ctx.config.GENERATION_TIMEOUT_SECONDS * 1000 - (Date.now() - (g.startedAt ?? new Date()).getTime());
  const watch = watchWhileRunning(ctx, g, client, helpers);
  const steps = stepTimer();
  let outcome: PromptOutcome;
  try {
    outcome = await followPrompt(client, events, g.comfyPromptId!, {
      recorded,
      signal: helpers.signal,
      timeoutMs: Math.max(1000, budgetMs),
      pollIntervalMs: 1000,
      unreachableAfterMs: ctx.config.INSTANCE_GRACE_SECONDS * 1000,
      leaveWhilePending: () => watch.instanceUnhealthy,
      onProgress: (p) => {
        watch.onProgress(p);
        steps.onProgress(p);
      },
    });
  } catch (err) {
    if (err instanceof AppError && err.code === ErrorCode.Timeout) {
      await client.cancel(g.comfyPromptId!).catch(() => undefined);
      await settle(ctx.pool, ctx.boss, g.id, 'failed', failWith(ErrorCode.Timeout, timeoutReason));
      return 'done';
    }
    if (helpers.signal.aborted) throw err;
    log.warn({ err }, 'left the instance while following (unreachable or unhealthy); the request is placed again and its prompt there abandoned');
    return leaveInstance(ctx, instance.id, g, err);
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
    return submit ? 'requeued' : run(ctx, g, instance, helpers, true, behind);
  }
  await finish(ctx, g, instance, client, outcome, helpers, steps.secondsPerStep(), behind);
  return 'done';
}

async function markFinished(ctx: GenerateContext, finished: FinishedPrompt): Promise<void> {
  const stmt = markPromptFinished(finished.id, finished.promptId);
  await ctx.db.executeSql(stmt.text, stmt.values, stmt.name);
}

async function finishedBefore(ctx: GenerateContext, id: string): Promise<boolean> {
  const stmt = promptFinishedBefore(id);
  return (await ctx.db.executeSql<{ finished: boolean }>(stmt.text, stmt.values)).rows[0]?.finished ?? false;
}

async function cancelWanted(ctx: GenerateContext, id: string): Promise<boolean> {
  return (await new GenerationRepository(ctx.db).get(id)).status === 'cancel_requested';
}

async function finish(
  ctx: GenerateContext, g: GenerationRow, instance: InstanceRow, client: ComfyClient, outcome: PromptOutcome, helpers: JobHelpers, secondsPerStep: number | null,
  behind?: OutputsBehind,
): Promise<void> {
  // Finished on ComfyUI: its slot is free for the next prompt while the outputs are stored (a crash
  // from here on resumes from the stored prompt id all the same). With the store going behind, the
  // job's next claim gives the slot up (in its own transaction, see claimNextWaiting) unless stores
  // behind are full (the job would wait for them first).
  if (outcome.status === 'success' && behind && !behind.full) behind.handOff(g.id, g.comfyPromptId!);
  else if (outcome.status === 'success') await markFinished(ctx, { id: g.id, promptId: g.comfyPromptId! });
  await ctx.__test__?.checkpoint?.('after-finish', g.id);
  if (outcome.status === 'interrupted') {
    const wanted = await cancelWanted(ctx, g.id);
    await settle(ctx.pool, ctx.boss, g.id, wanted ? 'cancelled' : 'failed', wanted ? {} : failWith(ErrorCode.Cancelled, 'The image server stopped this request. Please try again.'));
    return;
  }
  if (outcome.status === 'error') {
    helpers.logger.warn({ err: outcome.error, details: outcome.error.details }, 'ComfyUI execution error');
    ctx.metrics.comfyError(instance.id, 'execution');
    await settle(ctx.pool, ctx.boss, g.id, 'failed', failWith(outcome.error.code, outcome.error.message));
    return;
  }
  if (outcome.status !== 'success') return;
  const store = () => storeAndSettle(ctx, g, instance, client, outcome.images, helpers, secondsPerStep);
  if (behind) await behind.add(store);
  else await store();
}

async function storeAndSettle(
  ctx: GenerateContext, g: GenerationRow, instance: InstanceRow, client: ComfyClient, images: ImageRef[], helpers: JobHelpers, secondsPerStep: number | null,
): Promise<void> {
  const outputs = await storeWithRetry(ctx, g, client, images, helpers);
  if (!outputs) return;
  await recordRun(ctx, instance, g, secondsPerStep);
  await ctx.__test__?.checkpoint?.('after-store', g.id);
  // The one info line of a success (ComfyUI's 'prompt submitted'/'prompt finished' are debug): where it ran.
  // This process delivers it, woken here rather than by a NOTIFY in the success's commit (settleSucceeded).
  if (await settleSucceeded(ctx, g, outputs, { wakeDeliver: ctx.slots.deliverFetcher })) helpers.logger.info({ outputs: outputs.length, promptId: g.comfyPromptId, instance: instance.name }, 'generation succeeded');
}

function describeModels(g: GenerationRow): string {
  const models = [g.checkpoint, ...g.loras.map((l) => l.name)].join(' + ');
  return g.workflowVersionId ? `${models} and every node of the workflow '${g.workflowTemplate}'` : models;
}

