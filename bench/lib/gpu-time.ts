/** [start, end) in ms. */
export type Span = [number, number];

/** A stand-in's finished runs in order, and how long it had nothing to run between each and the next (ms). */
export function promptGaps(executions: readonly { startedAt: number; finishedAt?: number }[]): { runs: Span[]; gaps: number[] } {
  const runs = executions.filter((e) => e.finishedAt).map((e): Span => [e.startedAt, e.finishedAt!]).sort((a, b) => a[0] - b[0]);
  return { runs, gaps: runs.slice(1).map((r, i) => r[0] - runs[i]![1]) };
}

/**
 * GPU utilisation against demand: at every instant the GPUs that could have been busy are
 * min(instances, requests made and not yet finished on a GPU); the ones that were busy are the
 * executions running. Returns busy and possible GPU-milliseconds (their ratio is the utilisation;
 * their difference is GPU time lost while work waited) and the time with more demand than GPUs.
 */
export function utilisation(demand: Span[], busy: Span[], instances: number): { busyMs: number; possibleMs: number; saturatedMs: number } {
  const events: [number, number, number][] = [];
  for (const [a, b] of demand) events.push([a, 1, 0], [b, -1, 0]);
  for (const [a, b] of busy) events.push([a, 0, 1], [b, 0, -1]);
  events.sort((x, y) => x[0] - y[0]);
  let d = 0;
  let u = 0;
  let last = events[0]?.[0] ?? 0;
  let busyMs = 0;
  let possibleMs = 0;
  let saturatedMs = 0;
  for (const [t, dd, du] of events) {
    const dt = t - last;
    busyMs += Math.min(u, instances) * dt;
    possibleMs += Math.min(d, instances) * dt;
    if (d > instances) saturatedMs += dt;
    d += dd;
    u += du;
    last = t;
  }
  return { busyMs, possibleMs, saturatedMs };
}

/**
 * Where GPU time was lost while work waited (utilisation's busy − possible): GPUs idle while a
 * request was not placed yet (made → claimed: our placement latency, or a GPU the line could not
 * use) and GPUs idle while a placed request waited inside ComfyUI's queue behind another prompt on
 * its instance (claimed → started: keep-ahead that went to a GPU which turned out busy longer than
 * another). `unplaced` and `queuedInComfy` are the spans of those two states per request.
 */
export function lostBy(unplaced: Span[], queuedInComfy: Span[], busy: Span[], instances: number): { unplacedMs: number; queuedInComfyMs: number } {
  const events: [number, number, number, number][] = [];
  for (const [a, b] of unplaced) events.push([a, 1, 0, 0], [b, -1, 0, 0]);
  for (const [a, b] of queuedInComfy) events.push([a, 0, 1, 0], [b, 0, -1, 0]);
  for (const [a, b] of busy) events.push([a, 0, 0, 1], [b, 0, 0, -1]);
  events.sort((x, y) => x[0] - y[0]);
  let p = 0;
  let q = 0;
  let u = 0;
  let last = events[0]?.[0] ?? 0;
  let unplacedMs = 0;
  let queuedInComfyMs = 0;
  for (const [t, dp, dq, du] of events) {
    const dt = t - last;
    const idle = Math.max(0, instances - u);
    const fromUnplaced = Math.min(idle, p);
    unplacedMs += fromUnplaced * dt;
    queuedInComfyMs += Math.min(idle - fromUnplaced, q) * dt;
    p += dp;
    q += dq;
    u += du;
    last = t;
  }
  return { unplacedMs, queuedInComfyMs };
}
