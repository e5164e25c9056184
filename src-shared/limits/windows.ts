import type { LimitField } from './policy.ts';

/** Fixed windows aligned to UTC clock boundaries (the SQL uses `date_trunc(…, 'UTC')`, the same). */
export const usageWindows = [
  { name: 'minute', field: 'perMinute', ms: 60_000 },
  { name: 'hour', field: 'perHour', ms: 3_600_000 },
  { name: 'day', field: 'perDay', ms: 86_400_000 },
] as const satisfies readonly { name: string; field: LimitField; ms: number }[];

export type UsageWindow = (typeof usageWindows)[number];
export type WindowName = UsageWindow['name'];

/** A user's usage row as the limiter stores it. */
export interface UsageRow {
  minuteStart: Date;
  minuteCount: number;
  hourStart: Date;
  hourCount: number;
  dayStart: Date;
  dayCount: number;
  /** Requests queued or running. */
  active: number;
}

export function windowStart(w: UsageWindow, at: Date): Date {
  return new Date(Math.floor(at.getTime() / w.ms) * w.ms);
}

/** When the window containing `at` ends and its count starts again from zero. */
export function windowEnd(w: UsageWindow, at: Date): Date {
  return new Date(windowStart(w, at).getTime() + w.ms);
}

/** Images counted in the window that contains `at`; 0 when the stored count belongs to an older window. */
export function usedIn(w: UsageWindow, usage: UsageRow | undefined, at: Date): number {
  if (!usage) return 0;
  const start = usage[`${w.name}Start`];
  return start.getTime() === windowStart(w, at).getTime() ? usage[`${w.name}Count`] : 0;
}
