import type { QueuePosition, QueueSnapshot } from './api-types.ts';

/** Running, or index in run order among pending (0 = next), or absent (API.md §6). */
export function positionIn(q: QueueSnapshot, promptId: string): QueuePosition {
  if (q.running.some((item) => item[1] === promptId)) return { state: 'running' };
  const index = q.pending.findIndex((item) => item[1] === promptId);
  return index >= 0 ? { state: 'pending', position: index } : { state: 'absent' };
}
