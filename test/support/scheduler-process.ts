import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

export interface SchedulerProcess {
  child: ChildProcess;
  output: () => string;
  /** Resolves with the exit code or signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Runs `node scheduler/main.ts` as a real child process (killed for crash tests). */
export function spawnScheduler(env: Record<string, string>): SchedulerProcess {
  return spawnRole('scheduler/main.ts', env);
}

/** Runs a role's entry point (`bot/main.ts`, `scheduler/main.ts`, …) as a real child process. */
export function spawnRole(entry: string, env: Record<string, string>): SchedulerProcess {
  const child = spawn(process.execPath, [entry], {
    // No metrics listener unless a test asks: parallel test files would race for the default ports.
    // TMPDIR: the run's folder, which ties the child to this run (for cleanup after a killed run).
    env: { PATH: process.env.PATH ?? '', TMPDIR: process.env.TMPDIR ?? '', SCHEDULER_METRICS_PORT: '0', BOT_METRICS_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
  return {
    child,
    output: () => out,
    exited,
    async kill(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
