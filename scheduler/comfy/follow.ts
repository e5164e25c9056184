import type { ComfyClient } from '#shared/comfyui/client.ts';
import { outcomeFromHistory, type PromptOutcome } from '#shared/comfyui/prompt-outcome.ts';
import { positionIn } from '#shared/comfyui/queue-position.ts';

export type PromptState = PromptOutcome | { status: 'pending'; promptId: string } | { status: 'running'; promptId: string };

export function isSettled(state: PromptState): state is PromptOutcome {
  return state.status !== 'pending' && state.status !== 'running';
}

/** Where a stored prompt is now: finished (history), still queued or running, or unknown to ComfyUI. */
export async function lookupPrompt(client: ComfyClient, promptId: string, signal?: AbortSignal): Promise<PromptState> {
  const entry = await client.history(promptId, signal);
  if (entry) return outcomeFromHistory(promptId, entry);
  const where = positionIn(await client.queue(signal), promptId);
  if (where.state === 'running') return { status: 'running', promptId };
  if (where.state === 'pending') return { status: 'pending', promptId };
  // ComfyUI moves a prompt from the queue to history atomically, so re-read history once.
  const late = await client.history(promptId, signal);
  return late ? outcomeFromHistory(promptId, late) : { status: 'unknown', promptId, reason: 'not queued, not running, not in history' };
}
