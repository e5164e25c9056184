import type { Limits } from './policy.ts';
import { usageWindows, usedIn, windowEnd, type UsageRow, type WindowName } from './windows.ts';

export interface WindowQuota {
  window: WindowName;
  /** 0 = no cap. */
  limit: number;
  used: number;
  /** Images that may still be asked for in this window (null when there is no cap). */
  left: number | null;
  resetsAt: Date;
}

export interface Quota {
  blocked: boolean;
  windows: WindowQuota[];
  active: { count: number; limit: number };
  maxBatch: number;
  maxSteps: number;
  maxPixels: number;
  /** Images one request may ask for right now: the smallest of max batch, what each window has left. null = no cap. */
  imagesNow: number | null;
  line: { waiting: number; cap: number };
}

/** What a member may still do at `now`, per window, and when each window starts again. Pure. */
export function quotaOf(limits: Limits, usage: UsageRow | undefined, now: Date, line: { waiting: number; cap: number }): Quota {
  const windows = usageWindows.map((w): WindowQuota => {
    const limit = limits[w.field];
    const used = usedIn(w, usage, now);
    return { window: w.name, limit, used, left: limit ? Math.max(0, limit - used) : null, resetsAt: windowEnd(w, now) };
  });
  const active = { count: usage?.active ?? 0, limit: limits.maxActive };
  const caps = [...windows.map((w) => w.left), limits.maxBatch || null].filter((v): v is number => v !== null);
  let imagesNow = caps.length ? Math.min(...caps) : null;
  const lineFull = line.cap > 0 && line.waiting >= line.cap;
  if (limits.blocked || lineFull || (active.limit && active.count >= active.limit)) imagesNow = 0;
  return { blocked: limits.blocked, windows, active, maxBatch: limits.maxBatch, maxSteps: limits.maxSteps, maxPixels: limits.maxPixels, imagesNow, line };
}
