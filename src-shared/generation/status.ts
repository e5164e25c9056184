import type { GenerationStatus } from '#shared/db/entities/generation.ts';

export type { GenerationStatus };

/** Which statuses a generation may move to from each status. Terminal statuses have none. */
export const allowedTransitions: Record<GenerationStatus, readonly GenerationStatus[]> = {
  queued: ['running', 'cancel_requested', 'cancelled', 'failed'],
  // running -> queued: the instance died and the job goes back in line for another one.
  running: ['succeeded', 'failed', 'cancel_requested', 'cancelled', 'queued'],
  cancel_requested: ['cancelled', 'failed', 'succeeded'],
  succeeded: [],
  failed: [],
  cancelled: [],
};

export const terminalStatuses: readonly GenerationStatus[] = ['succeeded', 'failed', 'cancelled'];
export const activeStatuses: readonly GenerationStatus[] = ['queued', 'running', 'cancel_requested'];

export function isTerminal(status: GenerationStatus): boolean {
  return terminalStatuses.includes(status);
}

export function canTransition(from: GenerationStatus, to: GenerationStatus): boolean {
  return allowedTransitions[from].includes(to);
}

/** The statuses from which `to` may be reached: the guard of an atomic status UPDATE. */
export function predecessorsOf(to: GenerationStatus): GenerationStatus[] {
  return (Object.keys(allowedTransitions) as GenerationStatus[]).filter((from) => canTransition(from, to));
}
