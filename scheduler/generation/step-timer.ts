import type { FollowProgress } from '#shared/comfyui/follow-prompt.ts';

/**
 * Seconds per sampling step from ComfyUI's progress events: time between the first and the last
 * step seen over the steps between them, so queue wait, model loading and decoding are left out.
 */
export function stepTimer(now: () => number = Date.now) {
  let first: { value: number; at: number } | undefined;
  let last: { value: number; at: number } | undefined;
  return {
    onProgress(p: FollowProgress): void {
      if (p.stage !== 'running' || p.value === undefined || !p.max) return;
      // A new sampler (value going back) starts a new measurement.
      if (!first || (last && p.value < last.value)) first = { value: p.value, at: now() };
      last = { value: p.value, at: now() };
    },
    secondsPerStep(): number | null {
      if (!first || !last || last.value <= first.value) return null;
      return (last.at - first.at) / 1000 / (last.value - first.value);
    },
  };
}
