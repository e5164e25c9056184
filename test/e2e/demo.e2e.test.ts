import { spawn, execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';

// `npm run demo` as a newcomer runs it: no DATABASE_URL, no PostgreSQL to use (PG* unset, no .env),
// in a folder of its own so the embedded PostgreSQL's data folder is this test's.
const DEMO = path.resolve('scripts/demo.ts');
const cwd = mkdtempSync(path.join(tmpdir(), 'gn-demo-'));
chmodSync(cwd, 0o755); // the embedded PostgreSQL runs as the `postgres` user when we are root
const dataDir = path.join(cwd, 'data', 'demo-postgres');
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

function env(): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'DATABASE_URL' && !k.startsWith('PG')));
  return { ...clean, LOG_LEVEL: 'warn' };
}

function startDemo() {
  const child = spawn(process.execPath, [DEMO, 'a', 'fox'], { cwd, env: env(), detached: true });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, exited, out: () => stdout, err: () => stderr };
}

/** Processes still in the demo's process group (what a terminal's Ctrl-C reaches). */
function groupMembers(pgid: number): string[] {
  const ps = execFileSync('ps', ['-eo', 'pid=,pgid=,args='], { encoding: 'utf8' });
  return ps.split('\n').filter((l) => l.trim().split(/\s+/)[1] === String(pgid));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('npm run demo on a machine with no database configured', () => {
  test('starts an embedded PostgreSQL in data/demo-postgres and shows every step; a second run is as clean', async () => {
    for (const run of [1, 2]) {
      const demo = startDemo();
      const code = await demo.exited;
      const out = demo.out();
      expect(code, `${out}\n${demo.err()}`).toBe(0);
      expect(demo.err()).toBe('');
      expect(out).toContain('database: embedded PostgreSQL in data/demo-postgres');
      expect(out).toContain('Queued — #1 in line');
      expect(out).toMatch(/Generating — \d+%/);
      expect(out).toContain('[attachment');
      expect(out).toContain('image files written (1):');
      const file = /image files written \(1\):\n\s+(\S+)/.exec(out)![1]!;
      expect(existsSync(path.join(cwd, file))).toBe(true);
      expect(out.slice(out.indexOf('the bot answers the button'), out.indexOf('4. alice'))).toMatch(/│ (🚫 )?Cancelled\n/); // at once if still waiting; "Cancelling…" first if it already reached the GPU
      expect(out).toContain('2. alice presses 🔁 on the result');
      expect(out).toContain('a new generation, recorded as made from the first one');
      expect(out).toContain('Your limits here');
      expect(out).toMatch(/Per minute: \d+ of 10 left resets in \d+ s/);
      if (run === 1) expect(out).not.toContain('left registered by an earlier run');
      else {
        expect(out).toContain('disabled 1 ComfyUI stand-in(s) left registered by an earlier run');
        expect(out).toContain('models discovered: none new');
      }
      expect(existsSync(path.join(dataDir, 'postmaster.pid'))).toBe(false);
      expect(groupMembers(demo.child.pid!)).toEqual([]);
    }
  }, 180_000);

  test('Ctrl-C (the whole process group) or a SIGINT to node alone mid-run leaves no PostgreSQL or node process behind', async () => {
    for (const target of ['group', 'node'] as const) {
      const demo = startDemo();
      await expect.poll(() => demo.out(), { timeout: 60_000, interval: 100 }).toContain('1. alice types /imagine');
      const postmaster = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      expect(alive(postmaster)).toBe(true);
      process.kill(target === 'group' ? -demo.child.pid! : demo.child.pid!, 'SIGINT');
      expect(await demo.exited, target).toBe(130);
      await expect.poll(() => alive(postmaster), { timeout: 10_000, interval: 100 }).toBe(false);
      expect(groupMembers(demo.child.pid!), target).toEqual([]);
      expect(existsSync(path.join(dataDir, 'postmaster.pid')), target).toBe(false);
    }
  }, 120_000);
});
