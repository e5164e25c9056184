import type { LineRow } from '#shared/db/sql/line.ts';

/**
 * How far into the line positions are computed (per instance; see lineFront). Beyond it a message
 * says "50+ ahead": the exact number would need counting the whole line on every move.
 */
export const lineCap = 50;

/** Where a waiting generation stands: requests ahead (capped) and the estimated seconds until it is done. */
export interface LinePlace {
  ahead: number;
  /** At least `ahead`; the exact count was not computed. */
  capped: boolean;
  /** Null until an instance that can run it has a measured speed. */
  etaSeconds: number | null;
}

/** Beyond the front of the line (or not placeable on any instance up now). */
export const beyondFront: LinePlace = { ahead: lineCap, capped: true, etaSeconds: null };

/**
 * Its place from the line front. ETA: the steps ahead of it and still running on the instances that
 * can run it, shared among them, plus its own steps, at their measured seconds per step.
 */
export function linePlace(row: LineRow | undefined): LinePlace {
  if (!row || row.ahead >= lineCap) return beyondFront;
  const sps = row.secondsPerStep;
  const etaSeconds = sps === null || row.instances === 0 ? null : ((row.aheadSteps + row.busySteps) / row.instances + row.steps) * sps;
  return { ahead: row.ahead, capped: false, etaSeconds };
}

/** "#3 in line" / "50+ ahead in line". */
export function placeTitle(p: LinePlace): string {
  return p.capped ? `${lineCap}+ ahead in line` : `#${p.ahead + 1} in line`;
}

/** "about 40 s", "about 3 min", "about 1 h 5 min": rounded so small drifts do not cause edits. */
export function formatEta(seconds: number): string {
  if (seconds < 10) return `about ${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 60) return `about ${Math.round(seconds / 5) * 5} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `about ${minutes} min`;
  return `about ${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

export function etaText(p: LinePlace): string {
  return p.etaSeconds === null ? 'not known yet (no speed measured on these servers)' : formatEta(p.etaSeconds);
}

/** What a live message shows, as a short key: equal keys need no edit. */
export function queuedKey(p: LinePlace): string {
  return `q:${p.capped ? 'cap' : p.ahead}:${p.etaSeconds === null ? '-' : formatEta(p.etaSeconds)}`;
}

export function runningKey(progress: number): string {
  return `r:${Math.round(progress * 100)}`;
}
