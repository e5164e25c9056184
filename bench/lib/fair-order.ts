export interface Placed {
  id: string;
  /** queue_priority: −(the member's requests already queued or running when this one was made). */
  priority: number;
  createdAt: number;
  /** When a slot was given to it (the claim's decision, see claim-clock.ts), ms. */
  startedAt: number;
  /** By when its row was surely committed (the enqueue call returned), ms; created_at is its transaction's start. */
  visibleAt?: number;
}

/**
 * The project's rule (scheduler/placement.ts → claimOnSql in src-shared/db/sql/slots.ts): higher priority first, then
 * older. Its last tiebreak (id) orders requests made in the same transaction, which no member can
 * tell apart, so "older" must be older by more than the slack to count.
 */
export function ranksAhead(a: Placed, b: Placed, slackMs: number): boolean {
  if (a.priority !== b.priority) return a.priority > b.priority;
  return a.createdAt < b.createdAt - slackMs;
}

/**
 * Pairs served out of fair order: `late` was already waiting (committed `slackMs` before) when `early` got
 * a slot, ranked ahead of it (higher priority, or the same and made more than `slackMs` earlier), and still got its own slot more than `slackMs` later. The slack covers
 * clocks read in different processes and a row skipped (SKIP LOCKED) because another claim held it
 * at that moment.
 */
export function fairOrderViolations(rows: Placed[], slackMs: number): { early: Placed; late: Placed }[] {
  const byStart = [...rows].sort((a, b) => a.startedAt - b.startedAt);
  const out: { early: Placed; late: Placed }[] = [];
  for (let i = 0; i < byStart.length; i++) {
    const early = byStart[i]!;
    for (let j = i + 1; j < byStart.length; j++) {
      const late = byStart[j]!;
      if (late.startedAt <= early.startedAt + slackMs) continue;
      if ((late.visibleAt ?? late.createdAt) < early.startedAt - slackMs && ranksAhead(late, early, slackMs)) out.push({ early, late });
    }
  }
  return out;
}

/** One violation in words, times relative to `t0` (ms). */
export function describeViolation(vs: { early: Placed; late: Placed }[], t0: number): string {
  const v = vs.reduce((worst, x) => (x.late.startedAt - x.early.startedAt > worst.late.startedAt - worst.early.startedAt ? x : worst));
  const at = (p: Placed) => `priority ${p.priority}, made at ${Math.round(p.createdAt - t0)} ms, slot at ${Math.round(p.startedAt - t0)} ms`;
  return `worst: (${at(v.late)}) waited while (${at(v.early)}) went first`;
}
