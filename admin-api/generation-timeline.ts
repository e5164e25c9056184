import type { GenerationRow } from '#shared/db/repositories/generation-repository.ts';

export type TimelineStep = 'queued' | 'placed' | 'submitted' | 'progress' | 'finished' | 'delivered';

export interface TimelineEntry {
  step: TimelineStep;
  /** When it happened; null when it has not (yet), or for `submitted`, whose own time is not recorded. */
  at: Date | null;
  done: boolean;
  detail: Record<string, unknown>;
}

/**
 * A generation's life from its row. The scheduler stores the prompt id when it places a
 * generation and submits right after (so a crash can resume it), so `submitted` has no time of
 * its own: it is done once a prompt id exists and the generation got past queued.
 */
export function generationTimeline(g: GenerationRow): TimelineEntry[] {
  const placed = g.startedAt !== null;
  const finished = g.finishedAt !== null;
  return [
    { step: 'queued', at: g.createdAt, done: true, detail: {} },
    { step: 'placed', at: g.startedAt, done: placed, detail: { instanceId: g.comfyInstanceId, attempts: g.attempts } },
    { step: 'submitted', at: null, done: placed && g.comfyPromptId !== null, detail: { promptId: g.comfyPromptId } },
    { step: 'progress', at: placed ? g.updatedAt : null, done: g.progress >= 1, detail: { progress: g.progress } },
    { step: 'finished', at: g.finishedAt, done: finished, detail: { status: g.status, errorCode: g.errorCode, errorMessage: g.errorMessage } },
    { step: 'delivered', at: g.deliveredAt, done: g.deliveredAt !== null, detail: {} },
  ];
}
