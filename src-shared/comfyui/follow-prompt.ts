import { AppError, ErrorCode } from '../errors.ts';
import type { Logger } from '../logging.ts';
import type { HistoryEntry, NodeOutput, QueueSnapshot } from './api-types.ts';
import type { ComfyEventStream } from './event-stream.ts';
import { promptIdOf, type ComfyEvent } from './events.ts';
import { errorOutcome, outcomeFromHistory, successOutcome, type PromptOutcome } from './prompt-outcome.ts';
import type { PromptEventsRecording } from './prompt-events-recording.ts';
import { positionIn } from './queue-position.ts';
import type { PromptLookup } from './server-kind.ts';

export type FollowProgress =
  | { stage: 'pending'; position: number }
  | { stage: 'running'; node?: string; value?: number; max?: number }
  | { stage: 'preview'; format: string; image: Buffer };

export interface FollowOptions {
  onProgress?: (progress: FollowProgress) => void;
  signal?: AbortSignal;
  /** Overall limit; rejects with AppError Timeout (default: none). */
  timeoutMs?: number;
  /** Safety-net poll of /queue and /history (default 5 s). */
  pollIntervalMs?: number;
  /** While our prompt runs, no WebSocket message for this long ⇒ reconnect (default 60 s). */
  deafAfterMs?: number;
  /**
   * Neither an HTTP answer nor a WebSocket message from the instance for this long ⇒ reject with
   * AppError ComfyUnavailable, so the caller can move the request elsewhere (default: never).
   */
  unreachableAfterMs?: number;
  /** Asked while the prompt still waits in the instance's queue; true ⇒ reject with ComfyUnavailable (e.g. the instance was marked unhealthy). */
  leaveWhilePending?: () => boolean;
  /** The prompt's events recorded since before it was submitted (recordPromptEvents); followed from there. */
  recorded?: PromptEventsRecording;
}

/** What following needs from the HTTP client. */
export interface PromptStateSource {
  logger: Logger;
  queue(signal?: AbortSignal): Promise<QueueSnapshot>;
  history(promptId: string, signal?: AbortSignal): Promise<HistoryEntry | undefined>;
  /** One-call state of a prompt (the jobs API on newer servers); without it, queue then history. */
  lookup?(promptId: string, signal?: AbortSignal): Promise<PromptLookup>;
}

/** Queue first, then history: ComfyUI moves a prompt from running to history atomically. */
async function lookupIn(source: PromptStateSource, promptId: string): Promise<PromptLookup> {
  if (source.lookup) return source.lookup(promptId);
  const where = positionIn(await source.queue(), promptId);
  if (where.state !== 'absent') return where;
  const entry = await source.history(promptId);
  return entry ? { state: 'finished', entry } : { state: 'absent' };
}

// Two consecutive "nowhere" observations before declaring a prompt lost.
const absentChecksBeforeUnknown = 2;
// After an execution_success whose outputs we cannot vouch for, how long to wait for `executing {node: null}` before reading history anyway.
const collectAfterSuccessMs = 500;

/**
 * Follows one submitted prompt to its end. Events drive it; because messages are lost while
 * disconnected, /queue and /history are re-checked after every (re)connect and on a slow poll,
 * so a prompt that finished meanwhile is still collected.
 */
export function followPrompt(source: PromptStateSource, stream: ComfyEventStream, promptId: string, opts: FollowOptions = {}): Promise<PromptOutcome> {
  const log = source.logger.child({ promptId });
  const pollIntervalMs = opts.pollIntervalMs ?? 5_000;
  const deafAfterMs = opts.deafAfterMs ?? 60_000;
  const outputs: Record<string, NodeOutput> = {};
  let running = false;
  // Connection generation on which this prompt's execution_start arrived: every later event of the
  // prompt on that same connection reached us too (one socket, one ordered queue on the server).
  let startedOn: number | undefined;
  let successSeen = false;
  let collecting = false;
  let absentStreak = 0;
  let lastAnswerAt = Date.now();
  let lastForcedReconnect = 0;
  let checking: Promise<void> | undefined;
  let recheck = false;

  return new Promise<PromptOutcome>((resolve, reject) => {
    let settled = false;
    const cleanups: (() => void)[] = [];
    const end = (fn: () => void) => {
      if (settled) return;
      settled = true;
      for (const c of cleanups) c();
      fn();
    };
    const finish = (outcome: PromptOutcome) =>
      end(() => {
        // A success is logged by the caller with what it made of it (the scheduler: 'generation succeeded').
        log[outcome.status === 'success' ? 'debug' : 'info']({ status: outcome.status, ...(outcome.status === 'error' ? { code: outcome.error.code } : {}) }, 'prompt finished');
        resolve(outcome);
      });
    const fail = (err: Error) => end(() => reject(err));
    const recorded = opts.recorded;
    if (recorded) cleanups.push(() => recorded.stop());
    const progress = (p: FollowProgress) => {
      try {
        opts.onProgress?.(p);
      } catch (err) {
        log.warn({ err }, 'onProgress callback failed');
      }
    };

    const collectSuccess = async () => {
      if (collecting) return;
      collecting = true;
      // Even on `executing {node: null}` (sent after history is written), retry briefly.
      for (let i = 0; i < 10 && !settled; i++) {
        const entry = await source.history(promptId).catch(() => undefined);
        if (entry) return finish(outcomeFromHistory(promptId, entry, outputs));
        await new Promise((r) => setTimeout(r, 50 * (i + 1)));
      }
      finish(successOutcome(promptId, outputs));
    };

    const onEvent = (event: ComfyEvent, generation: number) => {
      if (settled) return;
      if (event.type === 'preview' && !event.metadata && running) {
        progress({ stage: 'preview', format: event.format, image: event.image });
        return;
      }
      if (promptIdOf(event) !== promptId) return;
      switch (event.type) {
        case 'execution_start':
          running = true;
          startedOn = generation;
          progress({ stage: 'running' });
          break;
        case 'executing':
          if (event.data.node === null) void (successSeen ? collectSuccess() : check('executing null'));
          else progress({ stage: 'running', node: event.data.node });
          break;
        case 'progress':
          progress({ stage: 'running', node: event.data.node, value: event.data.value, max: event.data.max });
          break;
        case 'preview':
          progress({ stage: 'preview', format: event.format, image: event.image });
          break;
        case 'executed':
          if (event.data.output) outputs[event.data.node] = event.data.output;
          break;
        case 'execution_success': {
          // Seen from execution_start on, without a reconnect: the `executed` events carried every
          // output (cached output nodes included, API.md §5.2), so history has nothing to add.
          if (startedOn === generation && Object.keys(outputs).length > 0) return finish(successOutcome(promptId, outputs));
          // History may not be written yet (API.md §6); it is by `executing {node: null}`, which
          // collects it, or after this wait should that message be lost.
          successSeen = true;
          const wait = setTimeout(() => void collectSuccess(), collectAfterSuccessMs);
          cleanups.push(() => clearTimeout(wait));
          break;
        }
        case 'execution_error':
          if (event.data.exception_type === 'ExecutionBlocked') break; // does not end the prompt
          finish(errorOutcome(promptId, event.data));
          break;
        case 'execution_interrupted':
          finish({ status: 'interrupted', promptId, execution: event.data });
          break;
      }
    };

    const checkOnce = async (reason: string) => {
      let where: PromptLookup;
      try {
        where = await lookupIn(source, promptId);
      } catch (err) {
        log.debug({ err, reason }, 'prompt state check failed; will retry');
        leaveIfUnreachable();
        return;
      }
      lastAnswerAt = Date.now();
      if (where.state === 'finished') return finish(outcomeFromHistory(promptId, where.entry, outputs));
      if (where.state !== 'absent') {
        absentStreak = 0;
        if (where.state === 'pending') {
          if (opts.leaveWhilePending?.()) {
            fail(new AppError(ErrorCode.ComfyUnavailable, `prompt ${promptId} waits on an instance marked unhealthy`, { details: { promptId } }));
            return;
          }
          progress({ stage: 'pending', position: where.position });
        } else {
          running = true;
          const quietFor = Date.now() - Math.max(stream.lastMessageAt, lastForcedReconnect);
          if (stream.connected && quietFor > deafAfterMs) {
            lastForcedReconnect = Date.now();
            stream.reconnect(`no WebSocket message for ${quietFor} ms while prompt ${promptId} runs`);
          }
        }
        return;
      }
      absentStreak++;
      log.debug({ reason, absentStreak }, 'prompt neither queued nor in history');
      if (absentStreak >= absentChecksBeforeUnknown) {
        finish({
          status: 'unknown',
          promptId,
          reason: 'ComfyUI has no record of this prompt (not pending, not running, not in history); it was lost, e.g. in a restart — resubmit it',
        });
      }
    };

    // One check at a time; a request made meanwhile runs once more afterwards.
    const leaveIfUnreachable = () => {
      if (opts.unreachableAfterMs === undefined || stream.connected) return;
      const silentMs = Date.now() - Math.max(lastAnswerAt, stream.lastMessageAt);
      if (silentMs < opts.unreachableAfterMs) return;
      fail(new AppError(ErrorCode.ComfyUnavailable, `instance unreachable for ${Math.round(silentMs / 1000)} s while following prompt ${promptId}`, { details: { promptId } }));
    };

    const check = async (reason: string): Promise<void> => {
      if (checking) {
        recheck = true;
        return checking;
      }
      checking = (async () => {
        do {
          recheck = false;
          if (!settled) await checkOnce(reason);
        } while (recheck && !settled);
      })().finally(() => {
        checking = undefined;
      });
      return checking;
    };

    cleanups.push(stream.onConnect(({ generation }) => void check(`connected #${generation}`)));
    // A hung lookup (a frozen server) must not hold the unreachable verdict back: judge on each tick.
    const poll = setInterval(() => {
      leaveIfUnreachable();
      void check('poll');
    }, pollIntervalMs);
    cleanups.push(() => clearInterval(poll));
    if (opts.timeoutMs !== undefined) {
      const timer = setTimeout(
        () => fail(new AppError(ErrorCode.Timeout, `prompt ${promptId} did not finish within ${opts.timeoutMs} ms`, { details: { promptId } })),
        opts.timeoutMs,
      );
      cleanups.push(() => clearTimeout(timer));
    }
    if (opts.signal) {
      const onAbort = () => fail(new AppError(ErrorCode.Cancelled, `stopped following prompt ${promptId}`, { cause: opts.signal?.reason, details: { promptId } }));
      if (opts.signal.aborted) return onAbort();
      opts.signal.addEventListener('abort', onAbort, { once: true });
      cleanups.push(() => opts.signal?.removeEventListener('abort', onAbort));
    }
    // Last, as replaying a recording may already finish the prompt.
    // Recorded on one socket since before the submission, the events tell the whole story: no need to
    // ask where the prompt is (the poll and the re-check on reconnect stay the safety net).
    const missedNothing = recorded?.unbroken ?? false;
    if (recorded) recorded.attach(onEvent);
    else cleanups.push(stream.subscribe((event) => onEvent(event, stream.generation)));
    stream.start();
    if (!missedNothing) void check('start');
  });
}
