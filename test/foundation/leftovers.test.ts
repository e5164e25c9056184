import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, test } from 'vitest';
import { dropDatabase, withAdminClient } from '../support/db.ts';
import { dropLeftoverDatabases, pidIsAlive, removeLeftoverTempFolders, RUN_TMP_PREFIX } from '../support/leftovers.ts';

// A pid whose process has exited: what a killed run's names carry.
const deadPid = spawnSync(process.execPath, ['-e', ''], { encoding: 'utf8' }).pid!;
const livePid = process.pid;
const dead = [`gn_test_tpl_p${deadPid}_0123456789`, `gn_test_p${deadPid}_0123456789_abcdef01`];
const live = [`gn_test_p${livePid}_leftovertest_abcdef01`];
const dir = mkdtempSync(path.join(tmpdir(), 'gn-leftovers-'));

afterAll(async () => {
  for (const name of [...dead, ...live]) await dropDatabase(name);
  rmSync(dir, { recursive: true, force: true });
});

async function existing(names: string[]): Promise<string[]> {
  return withAdminClient(async (c) => (await c.query<{ datname: string }>('select datname from pg_database where datname = any($1) order by datname', [names])).rows.map((r) => r.datname));
}

describe('the next run removes what a killed run left behind, and only that', () => {
  test('databases tagged with a dead run pid are dropped; those of a live run stay', async () => {
    expect(pidIsAlive(deadPid)).toBe(false);
    for (const name of [...dead, ...live]) await withAdminClient((c) => c.query(`create database ${pg.escapeIdentifier(name)}`));
    const dropped = await dropLeftoverDatabases();
    expect(dropped).toEqual(expect.arrayContaining(dead));
    expect(await existing([...dead, ...live])).toEqual(live);
  });

  test('run temp folders of a dead pid are removed with their contents; a live run and untagged young folders stay', async () => {
    const deadFolder = path.join(dir, `${RUN_TMP_PREFIX}p${deadPid}-abc123`);
    const liveFolder = path.join(dir, `${RUN_TMP_PREFIX}p${livePid}-abc123`);
    const youngUntagged = path.join(dir, 'gn-store-abc123');
    mkdirSync(path.join(deadFolder, 'gn-store-x', 'nested'), { recursive: true });
    mkdirSync(liveFolder);
    mkdirSync(youngUntagged);
    expect(await removeLeftoverTempFolders(dir)).toEqual([path.basename(deadFolder)]);
    expect([existsSync(deadFolder), existsSync(liveFolder), existsSync(youngUntagged)]).toEqual([false, true, true]);
  });
});
