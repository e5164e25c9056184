import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, test } from 'vitest';
import { findLeftoverProcesses, isGone, runFolderOf, stopLeftoverProcesses } from '../support/leftover-processes.ts';
import { pidIsAlive, removeLeftoverTempFolders, RUN_TMP_PREFIX } from '../support/leftovers.ts';

// Its own root, so the real cleanup of other runs (which looks under the system temp folder) sees
// these folders as inside this live run's folder and leaves them alone.
const root = mkdtempSync(path.join(tmpdir(), 'gn-leftover-procs-'));
const started: ChildProcess[] = [];
const orphans: number[] = [];

afterAll(async () => {
  for (const pid of orphans) if (!(await isGone(pid))) process.kill(pid, 'SIGKILL');
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

function sleeper(folder: string): ChildProcess {
  const c = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { cwd: folder, env: { ...process.env, TMPDIR: folder }, stdio: 'ignore' });
  started.push(c);
  return c;
}

describe('the next run stops what a killed run left running, and only that', () => {
  test('a folder path is tied to its run by the pid in the run folder name right under the root', () => {
    expect(runFolderOf(`${root}/${RUN_TMP_PREFIX}p123-abc/pg/data`, root)).toEqual({ folder: `${root}/${RUN_TMP_PREFIX}p123-abc`, runPid: 123 });
    expect(runFolderOf(`${root}/${RUN_TMP_PREFIX}p123-abc`, root)?.runPid).toBe(123);
    expect(runFolderOf(`${root}/x/${RUN_TMP_PREFIX}p123-abc`, root)).toBeNull();
    expect(runFolderOf(`${root}-other/${RUN_TMP_PREFIX}p123-abc`, root)).toBeNull();
  });

  test('a killed run\'s child process and embedded PostgreSQL are stopped and its folder removed; a live run\'s folder and process stay', async () => {
    // The killed run: started, asked for its pids, killed with SIGKILL (nothing of its own cleanup runs).
    const run = spawn(process.execPath, ['test/support/fake-killed-run.ts', root], { stdio: ['ignore', 'pipe', 'inherit'] });
    started.push(run);
    const [line] = (await once(createInterface({ input: run.stdout! }), 'line')) as [string];
    const fake = JSON.parse(line) as { folder: string; child: number; postmaster: number };
    orphans.push(fake.child, fake.postmaster);
    run.kill('SIGKILL');
    await once(run, 'exit');
    expect(pidIsAlive(run.pid!)).toBe(false);
    expect(path.basename(fake.folder)).toMatch(new RegExp(`^${RUN_TMP_PREFIX}p${run.pid}-`));
    expect([await isGone(fake.child), await isGone(fake.postmaster)]).toEqual([false, false]);

    // A live run beside it: its folder is named for a running process (this one), and something runs in it.
    const liveFolder = mkdtempSync(path.join(root, `${RUN_TMP_PREFIX}p${process.pid}-`));
    const live = sleeper(liveFolder);
    // Something else merely sitting in the dead folder (a person's shell, say): not the run's, left alone.
    const bystander = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { cwd: fake.folder, stdio: 'ignore' });
    started.push(bystander);
    const found = await findLeftoverProcesses(root);
    expect(found.map((p) => p.pid)).toEqual(expect.arrayContaining([fake.child, fake.postmaster]));
    expect(found.every((p) => p.folder === fake.folder)).toBe(true);
    expect(found.map((p) => p.pid)).not.toContain(live.pid);
    expect(found.map((p) => p.pid)).not.toContain(bystander.pid);

    const { stopped, stuck } = await stopLeftoverProcesses(root);
    expect(stuck).toEqual([]);
    expect(stopped.map((p) => p.pid)).toEqual(expect.arrayContaining([fake.child, fake.postmaster]));
    expect([await isGone(fake.child), await isGone(fake.postmaster)]).toEqual([true, true]);
    expect(await findLeftoverProcesses(root)).toEqual([]);

    expect(await removeLeftoverTempFolders(root)).toEqual([path.basename(fake.folder)]);
    expect([existsSync(fake.folder), existsSync(liveFolder)]).toEqual([false, true]);
    expect([await isGone(live.pid!), await isGone(bystander.pid!)]).toEqual([false, false]);
    expect([live.exitCode, bystander.exitCode]).toEqual([null, null]);
  }, 90_000);
});
