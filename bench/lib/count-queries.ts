// Preloaded into a child process by the benches (`node --import ./bench/lib/count-queries.ts …`):
// counts the SQL statements every pg client of the process sends, and on SIGUSR2 writes that count
// and the process's CPU time so far to BENCH_COUNT_FILE.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import pg from 'pg';
import { cpuOfStat } from './host-load.ts';

let statements = 0;
const byText = new Map<string, number>();
const textOf = (q: unknown): string => (typeof q === 'string' ? q : ((q as { text?: string } | null)?.text ?? '?'));
const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  statements++;
  if (process.env.BENCH_COUNT_TOP) {
    const text = textOf(args[0]).replace(/\s+/g, ' ').trim();
    // Its start and its end: statements built from one column list differ only in their tail.
    const key = text.length > 150 ? `${text.slice(0, 90)} … ${text.slice(-60)}` : text;
    byText.set(key, (byText.get(key) ?? 0) + 1);
  }
  return query.apply(this, args);
} as typeof pg.Client.prototype.query;

// BENCH_COUNT_STACK=<text>: statements sent through a pool that contain it are also counted by the
// code that sent them (the pool's query, where the caller's async stack is still known).
const stackOf = process.env.BENCH_COUNT_STACK;
if (stackOf) {
  const poolQuery = pg.Pool.prototype.query as (...args: unknown[]) => unknown;
  pg.Pool.prototype.query = function (this: pg.Pool, ...args: unknown[]) {
    if (textOf(args[0]).includes(stackOf)) {
      const key = `⟵ ${callers()}`;
      byText.set(key, (byText.get(key) ?? 0) + 1);
    }
    return poolQuery.apply(this, args);
  } as typeof pg.Pool.prototype.query;
}

const file = process.env.BENCH_COUNT_FILE;
if (!file) throw new Error('BENCH_COUNT_FILE is not set');
process.on('SIGUSR2', () => {
  const cpu = process.cpuUsage();
  const top = [...byText].sort((a, b) => b[1] - a[1]).slice(0, 40);
  writeFileSync(file, JSON.stringify({ statements, cpuMs: (cpu.user + cpu.system) / 1000, at: Date.now(), top, threads: threadCpu() }));
});

/** CPU ms (user, system) per thread name, from /proc: the main thread apart from libuv's and sharp's (libvips) pools. */
function threadCpu(): Record<string, { user: number; system: number }> {
  const out: Record<string, { user: number; system: number }> = {};
  for (const tid of readdirSync('/proc/self/task')) {
    const cpu = cpuOfStat(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8'));
    const entry = (out[tid === String(process.pid) ? 'main' : cpu.name.replace(/[-_]?\d+$/, '')] ??= { user: 0, system: 0 });
    entry.user += cpu.userMs;
    entry.system += cpu.systemMs;
  }
  return out;
}

function callers(): string {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 60;
  const stack = new Error().stack;
  Error.stackTraceLimit = limit;
  const frames = (stack ?? '').split('\n').slice(3).filter((l) => !l.includes('node_modules') && !l.includes('node:') && !l.includes('count-queries'));
  return frames.slice(0, 4).map((l) => l.trim().replace(/^at /, '').replace(/file:\/\/\S*\/work\/[^/]+\//, '')).join(' < ');
}
