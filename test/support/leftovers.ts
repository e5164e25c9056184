// A killed test run leaves its databases and temp folders behind; the next run removes them.
// Each run's names carry the pid of the vitest process that made them (`p<pid>`), so a leftover
// is one whose process is gone. Concurrent runs (other checkouts on the same server) are left alone.
import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { dropDatabase, withAdminClient } from './db.ts';

export const RUN_TAG = `p${process.pid}`;
export const RUN_TMP_PREFIX = 'gn-test-run-';
/** Names from before runs were tagged, or from tests that ran outside a run folder: removed when older than this. */
const UNTAGGED_MAX_AGE_MS = 60 * 60 * 1000;
const UNTAGGED_TMP = /^(gn-|comfy-sim-|comfy-dl-|comfy-client-|genonaut-demo-)/;

export function pidIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isLeftover(name: string, tagPattern: RegExp, ageMs: number | null): boolean {
  const tagged = tagPattern.exec(name);
  if (tagged) return !pidIsAlive(Number(tagged[1])) || (ageMs !== null && ageMs > 24 * UNTAGGED_MAX_AGE_MS);
  return ageMs !== null && ageMs > UNTAGGED_MAX_AGE_MS;
}

export async function dropLeftoverDatabases(): Promise<string[]> {
  const rows = await withAdminClient(async (c) => {
    // A database's age: when its PG_VERSION file was written (needs superuser; null otherwise).
    const { rows } = await c.query<{ datname: string; age_ms: number | null }>(
      `select datname,
              (extract(epoch from now() - (pg_stat_file('base/' || oid || '/PG_VERSION', true)).modification) * 1000)::float8 as age_ms
         from pg_database where datname like 'gn\\_test\\_%'`,
    ).catch(() => c.query<{ datname: string; age_ms: number | null }>(`select datname, null::float8 as age_ms from pg_database where datname like 'gn\\_test\\_%'`));
    return rows;
  });
  const dropped = rows.filter((r) => isLeftover(r.datname, /^gn_test_(?:tpl_)?p(\d+)_/, r.age_ms)).map((r) => r.datname);
  for (const name of dropped) await dropDatabase(name);
  return dropped;
}

export async function removeLeftoverTempFolders(tmp: string): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(tmp).catch(() => [] as string[])) {
    const tagged = name.startsWith(RUN_TMP_PREFIX);
    if (!tagged && !UNTAGGED_TMP.test(name)) continue;
    const full = path.join(tmp, name);
    const info = await stat(full).catch(() => null);
    if (!info?.isDirectory()) continue;
    const ageMs = Date.now() - info.mtimeMs;
    if (!isLeftover(name, new RegExp(`^${RUN_TMP_PREFIX}p(\\d+)-`), tagged ? null : ageMs)) continue;
    await rm(full, { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
