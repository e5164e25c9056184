import type { ComfyClient } from '#shared/comfyui/client.ts';
import { outcomeFromHistory, type PromptOutcome } from '#shared/comfyui/prompt-outcome.ts';

export type PromptState = PromptOutcome | { status: 'pending'; promptId: string } | { status: 'running'; promptId: string };

export function isSettled(state: PromptState): state is PromptOutcome {
  return state.status !== 'pending' && state.status !== 'running';
}

/**
 * Where a stored prompt is now: finished, still queued or running, or unknown to ComfyUI
 * (one `GET /api/jobs/{id}` on newer servers, queue and history otherwise).
 */
export async function lookupPrompt(client: ComfyClient, promptId: string, signal?: AbortSignal): Promise<PromptState> {
  const where = await client.lookup(promptId, signal);
  if (where.state === 'finished') return outcomeFromHistory(promptId, where.entry);
  if (where.state === 'running') return { status: 'running', promptId };
  if (where.state === 'pending') return { status: 'pending', promptId };
  return { status: 'unknown', promptId, reason: 'not queued, not running, not in history' };
}
