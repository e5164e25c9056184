/** One member's request in the simulated day: when (seconds into the compressed day) and whose. */
export interface Arrival {
  at: number;
  member: number;
  heavy: boolean;
}

/** A small seeded PRNG (mulberry32), so every run replays the same day. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Requests per hour of the day, relative: quiet night, a lunch bump, the evening peak at 20:00. */
export function diurnal(hour: number): number {
  const bump = (centre: number, width: number) => Math.exp(-(((hour - centre) / width) ** 2));
  return 0.15 + 0.5 * bump(13, 2.5) + bump(20, 2.5);
}

/**
 * A day of traffic, compressed into `daySeconds`: light members send `light` requests each (spread
 * over the day), heavy members send `bursts` bursts of `burstSize` requests a second apart
 * (compressed). Times follow `diurnal` (rejection sampling).
 */
export function dayOfTraffic(opts: { members: number; heavyShare: number; daySeconds: number; light: [number, number]; bursts: number; burstSize: [number, number]; seed: number }): Arrival[] {
  const rnd = prng(opts.seed);
  const peak = Math.max(...Array.from({ length: 240 }, (_, i) => diurnal(i / 10)));
  const when = () => {
    for (;;) {
      const hour = rnd() * 24;
      if (rnd() * peak <= diurnal(hour)) return (hour / 24) * opts.daySeconds;
    }
  };
  const between = ([lo, hi]: [number, number]) => lo + Math.floor(rnd() * (hi - lo + 1));
  const heavyCount = Math.round(opts.members * opts.heavyShare);
  const out: Arrival[] = [];
  for (let member = 0; member < opts.members; member++) {
    const heavy = member < heavyCount;
    if (heavy) {
      for (let b = 0; b < opts.bursts; b++) {
        const start = when();
        const size = between(opts.burstSize);
        for (let k = 0; k < size; k++) out.push({ at: Math.min(opts.daySeconds, start + (k * opts.daySeconds) / 86_400), member, heavy });
      }
    } else {
      const count = between(opts.light);
      for (let k = 0; k < count; k++) out.push({ at: when(), member, heavy });
    }
  }
  return out.sort((a, b) => a.at - b.at);
}
