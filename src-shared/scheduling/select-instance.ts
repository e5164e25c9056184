/** What the scheduler knows about an instance when placing one generation. */
export interface InstanceCandidate {
  id: number;
  enabled: boolean;
  health: 'unknown' | 'healthy' | 'unhealthy';
  maxQueueDepth: number;
  /** Generations currently submitted to it (running or waiting in its ComfyUI queue). */
  inFlight: number;
  lastCheckpoint: string | null;
  /** Has the checkpoint and every LoRA of this generation. */
  hasModels: boolean;
}

export type Placement =
  | { ok: true; instanceId: number }
  /** no_instance_has_models ends the request; the others mean: wait (or probe the unhealthy ones). */
  | { ok: false; reason: 'no_instance' | 'no_instance_has_models' | 'unavailable' | 'all_busy' };

/**
 * Healthy (or not yet probed), enabled instances that have the models and a free slot; the least
 * loaded wins, and on a tie the one that last ran this checkpoint (it is already in VRAM).
 */
export function selectInstance(candidates: InstanceCandidate[], checkpoint: string): Placement {
  const enabled = candidates.filter((c) => c.enabled);
  if (enabled.length === 0) return { ok: false, reason: 'no_instance' };
  const withModels = enabled.filter((c) => c.hasModels);
  if (withModels.length === 0) return { ok: false, reason: 'no_instance_has_models' };
  const up = withModels.filter((c) => c.health !== 'unhealthy');
  if (up.length === 0) return { ok: false, reason: 'unavailable' };
  const free = up.filter((c) => c.inFlight < c.maxQueueDepth);
  if (free.length === 0) return { ok: false, reason: 'all_busy' };
  const best = free.reduce((a, b) => (rank(b, checkpoint) < rank(a, checkpoint) ? b : a));
  return { ok: true, instanceId: best.id };
}

function rank(c: InstanceCandidate, checkpoint: string): number {
  // in-flight dominates; a warm checkpoint breaks ties; id keeps it deterministic
  return c.inFlight * 1_000_000 + (c.lastCheckpoint === checkpoint ? 0 : 500_000) + c.id;
}
