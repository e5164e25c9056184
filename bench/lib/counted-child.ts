import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface Counters {
  statements: number;
  cpuMs: number;
}

export interface CountedChild {
  child: ChildProcess;
  output(): string;
  /** The child's SQL statement count and CPU time so far (see count-queries.ts). */
  counters(): Promise<Counters>;
  stop(): Promise<void>;
}

/** Runs `node <script>` with the statement counter preloaded; resolves once its output contains `ready`. */
export async function spawnCounted(script: string, env: Record<string, string>, ready: string): Promise<CountedChild> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gn-bench-count-'));
  const file = path.join(dir, 'counters.json');
  // BENCH_CPU_PROF=<dir>: a V8 CPU profile of the child, written when it stops (SIGTERM, see stop()).
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  // BENCH_PERF_MAP=1: the child writes /tmp/perf-<pid>.map, so `perf record` names its JavaScript frames.
  const perfMap = process.env.BENCH_PERF_MAP ? ['--perf-basic-prof'] : [];
  const child = spawn(process.execPath, [...profile, ...perfMap, '--import', './bench/lib/count-queries.ts', script], {
    env: { PATH: process.env.PATH ?? '', SCHEDULER_METRICS_PORT: '0', ...countingOptions(), ...env, BENCH_COUNT_FILE: file },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Never left running after the bench (a stray scheduler would work on the next run's database).
  const killOnExit = () => child.kill('SIGKILL');
  process.on('exit', killOnExit);
  let out = '';
  const exited = once(child, 'exit');
  void exited.then(() => process.off('exit', killOnExit));
  await new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      out = (out + d.toString()).slice(-20_000);
      if (out.includes(ready)) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then(() => reject(new Error(`${script} exited before it was ready:\n${out}`)));
  });
  return {
    child,
    output: () => out,
    async counters() {
      const before = Date.now();
      child.kill('SIGUSR2');
      for (;;) {
        const text = await readFile(file, 'utf8').catch(() => '');
        // Caught mid-write (the child rewrites the file on every signal): read again.
        const parsed = text ? (tryParse(text) as (Counters & { at: number }) | undefined) : undefined;
        if (parsed && parsed.at >= before) return parsed;
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    async stop() {
      if (profile.length > 0 && child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
      }
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function tryParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** BENCH_COUNT_TOP (the most frequent statements) and BENCH_COUNT_STACK (who sends them), passed on to the child. */
function countingOptions(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[0].startsWith('BENCH_COUNT_') && e[1] !== undefined));
}
