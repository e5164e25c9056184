import { setTimeout as delay } from 'node:timers/promises';
import type { ComfyClient } from '#shared/comfyui/client.ts';
import type { ExecutionErrorData, HistoryEntry } from '#shared/comfyui/api-types.ts';
import { AppError, ErrorCode } from '#shared/errors.ts';
import { historyError, historyInterrupted } from './outcome.ts';

export type PromptOutcome =
  | { status: 'success'; entry: HistoryEntry }
  | { status: 'error'; error: ExecutionErrorData }
  | { status: 'interrupted' }
  /** ComfyUI has never heard of it (a restart lost its queue). */
  | { status: 'unknown' };

export interface FollowOptions {
  signal?: AbortSignal;
  timeoutMs: number;
  /** Called repeatedly while the prompt runs; returning true requests a cancel. */
  onTick?: () => Promise<void> | void;
  pollMs?: number;
}

/** Where a prompt is now: finished (with its history), still queued/running, or unknown. */
export type PromptState = PromptOutcome | { status: 'pending' } | { status: 'running' };

export function isSettled(state: PromptState): state is PromptOutcome {
  return state.status !== 'pending' && state.status !== 'running';
}

export async function lookupPrompt(client: ComfyClient, promptId: string, signal?: AbortSignal): Promise<PromptState> {
  const entry = await client.history(promptId, signal);
  if (entry) return settled(entry);
  const where = await client.queuePosition(promptId, signal);
  if (where.state !== 'absent') return { status: where.state };
  // It may have finished between the two reads.
  const late = await client.history(promptId, signal);
  return late ? settled(late) : { status: 'unknown' };
}

function settled(entry: HistoryEntry): PromptOutcome {
  const error = historyError(entry);
  if (error) return { status: 'error', error };
  if (historyInterrupted(entry)) return { status: 'interrupted' };
  return { status: 'success', entry };
}

/**
 * Follows a prompt to its end by asking ComfyUI (history, then queue). Asking instead of relying on
 * pushed events means a dropped socket or a scheduler restart can never make us miss the end.
 */
export async function followPrompt(client: ComfyClient, promptId: string, opts: FollowOptions): Promise<PromptOutcome> {
  const deadline = Date.now() + opts.timeoutMs;
  const pollMs = opts.pollMs ?? 100;
  for (;;) {
    opts.signal?.throwIfAborted();
    const now = await lookupPrompt(client, promptId, opts.signal);
    if (isSettled(now)) return now;
    if (Date.now() > deadline) throw new AppError(ErrorCode.Timeout, `prompt ${promptId} did not finish in time`);
    await opts.onTick?.();
    await delay(pollMs, undefined, { signal: opts.signal });
  }
}
