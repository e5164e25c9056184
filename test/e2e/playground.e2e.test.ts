import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.ts';

// `npm run playground` as a process: it prints the page's address, the page answers, and Ctrl-C leaves nothing behind.
const PLAYGROUND = path.resolve('scripts/playground.ts');
const cwd = mkdtempSync(path.join(tmpdir(), 'gn-playground-e2e-'));
let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
  rmSync(cwd, { recursive: true, force: true });
});

function startPlayground(args: string[]) {
  const env = { ...process.env, DATABASE_URL: db.url, LOG_LEVEL: 'warn' };
  const child = spawn(process.execPath, [PLAYGROUND, ...args], { env, detached: true, cwd });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, exited, out: () => stdout, err: () => stderr };
}

/** Processes still in the playground's process group (what a terminal's Ctrl-C reaches). */
function groupMembers(pgid: number): string[] {
  const ps = execFileSync('ps', ['-eo', 'pid=,pgid=,args='], { encoding: 'utf8' });
  return ps.split('\n').filter((l) => l.trim().split(/\s+/)[1] === String(pgid));
}

describe('npm run playground', () => {
  test('prints the page address, serves the page, and Ctrl-C stops every part of it', async () => {
    const run = startPlayground(['--port', '0', '--seconds-per-step', '0.01']);
    await expect.poll(() => run.out(), { timeout: 30_000, interval: 100 }).toMatch(/playground ready: open (http:\/\/127\.0\.0\.1:\d+\/playground\/)/);
    const url = /open (\S+)/.exec(run.out())![1]!;
    const page = await fetch(url);
    expect(page.status).toBe(200);
    const session = (await (await fetch(`${url}api/session`)).json()) as { members: { username: string }[]; commands: { name: string }[] };
    expect(session.members.map((m) => m.username)).toEqual(['alice', 'bob', 'morgan']);
    expect(session.commands.map((c) => c.name)).toContain('imagine');

    process.kill(-run.child.pid!, 'SIGINT');
    expect(await run.exited).toBe(130);
    expect(run.err()).toBe('');
    expect(groupMembers(run.child.pid!)).toEqual([]);
    await expect(fetch(url)).rejects.toThrow();
  }, 60_000);

  test('a port already in use is one line naming it, not a stack', async () => {
    const taken: Server = createServer();
    const port = await new Promise<number>((resolve) => taken.listen(0, '127.0.0.1', () => resolve((taken.address() as { port: number }).port)));
    try {
      const run = startPlayground(['--port', String(port)]);
      expect(await run.exited).toBe(1);
      expect(run.err().trim()).toBe(
        `playground: port 127.0.0.1:${port} is already in use (--port): stop the process using it (\`ss -ltnp | grep ${port}\`) or choose another port with --port`,
      );
      expect(groupMembers(run.child.pid!)).toEqual([]);
    } finally {
      taken.close();
    }
  }, 60_000);
});
