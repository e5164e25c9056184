// A killed test run can leave processes running: an embedded PostgreSQL, a scheduler, bot or
// stand-in child, a test worker. Each is tied to its run's temp folder (`<tmp>/gn-test-run-p<pid>-…`)
// by an argument (`postgres -D <folder>/…/data`) or an environment value (TMPDIR, which the run sets
// and everything it starts inherits). Not by its working directory alone: a person's shell may sit in
// such a folder. Only folders whose run pid is gone count: a live run's processes (another checkout's
// tests running now) are never touched.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { pidIsAlive, RUN_TMP_PREFIX } from './leftovers.ts';

export interface LeftoverProcess {
  pid: number;
  /** The dead run's temp folder that ties the process to it. */
  folder: string;
  command: string;
}

interface ProcessInfo {
  pid: number;
  ppid: number;
  state: string;
  cmdline: string[];
  environ: string[];
}

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

/** The run folder a path lies in (`<tmp>/gn-test-run-p<pid>-…`) with its run's pid, or null. */
export function runFolderOf(value: string, tmp: string): { folder: string; runPid: number } | null {
  const m = new RegExp(`^(${escapeRegExp(path.join(tmp, RUN_TMP_PREFIX))}p(\\d+)-[^/]*)(?:/|$)`).exec(value);
  return m ? { folder: m[1]!, runPid: Number(m[2]) } : null;
}

/** The values that can tie a process to a folder: its arguments and its environment values. */
export function pathsOf(info: Pick<ProcessInfo, 'cmdline' | 'environ'>): string[] {
  const afterEquals = (s: string) => (s.includes('=') ? [s.slice(s.indexOf('=') + 1)] : []);
  return [
    ...info.cmdline.flatMap((arg) => [arg, ...afterEquals(arg)]),
    ...info.environ.flatMap(afterEquals),
  ];
}

async function readProcess(pid: number): Promise<ProcessInfo | null> {
  const dir = `/proc/${pid}`;
  try {
    const stat = await readFile(`${dir}/stat`, 'utf8');
    // "pid (comm) state ppid …": comm may hold spaces and parentheses.
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const split = (raw: string) => raw.split('\0').filter(Boolean);
    return {
      pid,
      ppid: Number(ppid),
      state: state!,
      cmdline: split(await readFile(`${dir}/cmdline`, 'utf8').catch(() => '')),
      environ: split(await readFile(`${dir}/environ`, 'utf8').catch(() => '')),
    };
  } catch {
    return null; // exited meanwhile
  }
}

async function ancestorsOfSelf(): Promise<Set<number>> {
  const seen = new Set<number>();
  for (let pid = process.pid; pid > 0 && !seen.has(pid); ) {
    seen.add(pid);
    pid = (await readProcess(pid))?.ppid ?? 0;
  }
  return seen;
}

/** Processes tied to a temp folder under `tmp` of a run whose process is gone (never this process or its ancestors). */
export async function findLeftoverProcesses(tmp: string): Promise<LeftoverProcess[]> {
  const own = await ancestorsOfSelf();
  const pids = (await readdir('/proc').catch(() => [] as string[])).filter((n) => /^\d+$/.test(n)).map(Number);
  const found: LeftoverProcess[] = [];
  const runAlive = new Map<number, boolean>();
  for (const pid of pids) {
    if (own.has(pid)) continue;
    const info = await readProcess(pid);
    if (!info || isGoneState(info.state)) continue;
    for (const value of pathsOf(info)) {
      const run = runFolderOf(value, tmp);
      if (!run) continue;
      if (!runAlive.has(run.runPid)) runAlive.set(run.runPid, pidIsAlive(run.runPid));
      if (runAlive.get(run.runPid)) continue;
      found.push({ pid, folder: run.folder, command: info.cmdline.join(' ') });
      break;
    }
  }
  return found;
}

function isGoneState(state: string): boolean {
  return state === 'Z' || state === 'X'; // a zombie holds nothing but its exit status
}

export async function isGone(pid: number): Promise<boolean> {
  const info = await readProcess(pid);
  return !info || isGoneState(info.state);
}

async function waitGone(pids: number[], ms: number): Promise<number[]> {
  const deadline = Date.now() + ms;
  let left = pids;
  for (;;) {
    left = (await Promise.all(left.map(async (p) => ((await isGone(p)) ? null : p)))).filter((p): p is number => p !== null);
    if (left.length === 0 || Date.now() >= deadline) return left;
    await new Promise((r) => setTimeout(r, 50));
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/** A postmaster (`postgres -D <dir> …`): SIGINT is its fast shutdown, which also ends its backends and frees its shared memory. */
function isPostmaster(command: string): boolean {
  const [exe, ...args] = command.split(' ');
  return path.basename(exe ?? '') === 'postgres' && args.includes('-D');
}

/**
 * Stops what dead runs left running under `tmp`, before their folders are removed: asks first
 * (SIGTERM, SIGINT for a PostgreSQL), kills whatever is still there after `graceMs`.
 * Returns the processes it stopped and those it could not.
 */
export async function stopLeftoverProcesses(tmp: string, graceMs = 5000): Promise<{ stopped: LeftoverProcess[]; stuck: LeftoverProcess[] }> {
  const found = await findLeftoverProcesses(tmp);
  if (found.length === 0) return { stopped: [], stuck: [] };
  for (const p of found) signal(p.pid, isPostmaster(p.command) ? 'SIGINT' : 'SIGTERM');
  const stubborn = await waitGone(found.map((p) => p.pid), graceMs);
  for (const pid of stubborn) signal(pid, 'SIGKILL');
  const stuck = new Set(await waitGone(stubborn, 5000));
  return { stopped: found.filter((p) => !stuck.has(p.pid)), stuck: found.filter((p) => stuck.has(p.pid)) };
}
