import { spawnCounted, type CountedChild, type Counters } from './counted-child.ts';

export interface Fleet {
  children: CountedChild[];
  /** Statements and CPU summed over every scheduler process, with the per-process CPU. */
  counters(): Promise<Counters & { cpuMsEach: number[]; top: [string, number][] }>;
  stop(): Promise<void>;
}

/** Starts `count` real scheduler processes (`node scheduler/main.ts`, crons on) with every pg query counted. */
export async function startFleet(count: number, env: Record<string, string>): Promise<Fleet> {
  const children = await Promise.all(Array.from({ length: count }, () => spawnCounted('scheduler/main.ts', { ...env, LOG_LEVEL: 'info' }, 'scheduler started')));
  return {
    children,
    async counters() {
      const each = await Promise.all(children.map((c) => c.counters()));
      return {
        statements: each.reduce((s, c) => s + c.statements, 0),
        cpuMs: each.reduce((s, c) => s + c.cpuMs, 0),
        cpuMsEach: each.map((c) => c.cpuMs),
        // With BENCH_COUNT_TOP set, the most frequent statements summed over the processes (count-queries.ts).
        top: [...each.flatMap((c) => (c as Counters & { top?: [string, number][] }).top ?? []).reduce((m, [k, v]) => m.set(k, (m.get(k) ?? 0) + v), new Map<string, number>())]
          .sort((a, b) => b[1] - a[1]).slice(0, 25),
      };
    },
    stop: async () => {
      await Promise.all(children.map((c) => c.stop()));
    },
  };
}
