import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, rmdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startComfySim, type ComfySim } from '#sim/comfyui/index.ts';
import { startDiscordSim, type DiscordSim } from '#sim/discord/index.ts';
import { startSchedulerHarness, type SchedulerHarness } from '../support/scheduler-harness.ts';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.ts';
import { printOutage } from './outage-report.ts';

// Image storage on a real, small filesystem (tmpfs; the tests run as root, like CI) that is full
// while the GPU works, then gets space back.
const fsBytes = 256 * 1024;

let tdb: TestDatabase;
let discord: DiscordSim;
let comfy: ComfySim;
let h: SchedulerHarness;
let volume: string;

beforeAll(async () => {
  volume = await mkdtemp(path.join(tmpdir(), 'gn-full-volume-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${fsBytes}`, 'tmpfs', volume]);
  tdb = await createTestDatabase();
  discord = await startDiscordSim();
  comfy = await startComfySim({ models: { checkpoints: ['base.safetensors'] }, secondsPerStep: 0.01 });
  // Six slots (and so six local workers): intake has room, only storage can hold it.
  await tdb.pool.query(`insert into comfy_instance (name, base_url, max_queue_depth) values ('comfy-1', $1, 6)`, [comfy.url]);
  h = await startSchedulerHarness({ tdb, discord, comfyUrls: [comfy.url], env: { STORAGE_DIR: volume, STORAGE_RETRY_SECONDS: '60' } });
});
afterAll(async () => {
  await h?.stop();
  await Promise.all([comfy?.close(), discord?.close()]);
  await tdb?.drop();
  if (volume) {
    execFileSync('umount', [volume]);
    await rmdir(volume);
  }
});

const storageFailing = async () => (await tdb.pool.query<{ failing: boolean }>('select failing_since is not null as failing from storage_health')).rows[0]!.failing;

test('storage full: no GPU failure, no GPU work repeated, intake held, all settled once space returns', async () => {
  const filler = path.join(volume, 'filler');
  // Fill the volume to the last byte: the write fails with ENOSPC once it is full.
  await writeFile(filler, Buffer.alloc(fsBytes)).catch((err: NodeJS.ErrnoException) => expect(err.code).toBe('ENOSPC'));

  const first = await h.enqueue({ seed: '1' });
  await expect.poll(storageFailing, { timeout: 10_000 }).toBe(true);
  const heldSince = Date.now();
  const later = await Promise.all([2, 3, 4].map((seed) => h.enqueue({ seed: String(seed) })));
  const ids = [first, ...later].map((e) => e.generation.id);

  // While storage fails: the finished one waits (running, not failed), new GPU work is not placed.
  await new Promise((r) => setTimeout(r, 1500));
  const during = await Promise.all(ids.map((id) => h.repo.get(id)));
  expect(during.map((g) => g.status)).toEqual(['running', 'queued', 'queued', 'queued']);
  expect(during.slice(1).map((g) => g.comfyPromptId)).toEqual([null, null, null]);
  expect(comfy.executions).toHaveLength(1);

  await rm(filler);
  const spaceAt = Date.now();
  for (const id of ids) await h.waitFor(id, ['succeeded'], { delivered: true, timeoutMs: 20_000 });
  const settledAt = Date.now();
  expect(await storageFailing()).toBe(false);

  const rows = await Promise.all(ids.map((id) => h.repo.get(id)));
  const runs = rows.map((g) => comfy.executions.filter((e) => e.promptId === g.comfyPromptId).length);
  expect(runs).toEqual([1, 1, 1, 1]); // each ran on the GPU once
  expect(comfy.executions).toHaveLength(4);
  expect(rows.every((g) => g.outputs.every((o) => o.status === 'stored'))).toBe(true);
  const delivered = rows.map((g) => discord.messages(g.channelId).filter((m) => JSON.stringify(m.embeds).includes(g.id)).length);
  expect(delivered).toEqual([1, 1, 1, 1]);

  printOutage('storage volume full, then space returns', {
    submitted: ids.length,
    settled: rows.length,
    lost: 0,
    duplicated: delivered.filter((n) => n > 1).length,
    'failed for the GPU\'s sake': rows.filter((g) => g.status === 'failed').length,
    'intake held for': `${spaceAt - heldSince} ms`,
    'time to recover (space back → all settled)': `${settledAt - spaceAt} ms`,
  });
});
