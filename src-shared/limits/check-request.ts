import type { Limits } from './policy.ts';
import type { Refusal } from './refusal.ts';
import { usageWindows, usedIn, windowEnd, type UsageRow } from './windows.ts';

/** What a request asks for, as the limiter sees it. */
export interface RequestShape {
  /** Images (the batch size). */
  images: number;
  steps: number;
  width: number;
  height: number;
}

/**
 * Checks that need no usage: blocked, batch, steps, pixels, and a batch larger than a whole
 * window allows (it could never be admitted, so waiting would not help). Pure.
 */
export function checkRequest(limits: Limits, req: RequestShape): Refusal | null {
  if (limits.blocked) return { kind: 'blocked' };
  if (limits.maxBatch && req.images > limits.maxBatch) return { kind: 'batch', requested: req.images, max: limits.maxBatch };
  for (const w of usageWindows) {
    const limit = limits[w.field];
    if (limit && req.images > limit) return { kind: 'batch', requested: req.images, max: limit, because: w.name };
  }
  if (limits.maxSteps && req.steps > limits.maxSteps) return { kind: 'steps', requested: req.steps, max: limits.maxSteps };
  if (limits.maxPixels && req.width * req.height > limits.maxPixels) return { kind: 'pixels', width: req.width, height: req.height, max: limits.maxPixels };
  return null;
}

/**
 * Which limit stopped a request the atomic consume refused, read from the usage row as it was
 * (the refusing transaction still holds that row's lock). Pure.
 */
export function explainRefusal(
  limits: Limits,
  images: number,
  usage: UsageRow | undefined,
  now: Date,
  line: { waiting: number; cap: number; waitSeconds: number | null },
): Refusal {
  if (line.cap && line.waiting >= line.cap) return { kind: 'line', ...line };
  for (const w of usageWindows) {
    const limit = limits[w.field];
    const used = usedIn(w, usage, now);
    if (limit && used + images > limit) return { kind: 'window', window: w.name, used, limit, requested: images, freesAt: windowEnd(w, now) };
  }
  const active = usage?.active ?? 0;
  if (limits.maxActive && active >= limits.maxActive) return { kind: 'active', active, limit: limits.maxActive };
  return { kind: 'contended' };
}
