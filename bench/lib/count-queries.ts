// Preloaded into a child process by the benches (`node --import ./bench/lib/count-queries.ts …`):
// counts the SQL statements every pg client of the process sends, and on SIGUSR2 writes that count
// and the process's CPU time so far to BENCH_COUNT_FILE.
import { writeFileSync } from 'node:fs';
import pg from 'pg';

let statements = 0;
const byText = new Map<string, number>();
const textOf = (q: unknown): string => (typeof q === 'string' ? q : ((q as { text?: string } | null)?.text ?? '?'));
const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  statements++;
  if (process.env.BENCH_COUNT_TOP) {
    const key = textOf(args[0]).replace(/\s+/g, ' ').trim().slice(0, 90);
    byText.set(key, (byText.get(key) ?? 0) + 1);
  }
  return query.apply(this, args);
} as typeof pg.Client.prototype.query;

const file = process.env.BENCH_COUNT_FILE;
if (!file) throw new Error('BENCH_COUNT_FILE is not set');
process.on('SIGUSR2', () => {
  const cpu = process.cpuUsage();
  const top = [...byText].sort((a, b) => b[1] - a[1]).slice(0, 40);
  writeFileSync(file, JSON.stringify({ statements, cpuMs: (cpu.user + cpu.system) / 1000, at: Date.now(), top }));
});
