import { execFileSync } from 'node:child_process';
import { mkdtemp, rmdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startComfySim, type ComfySim } from '#sim/comfyui/index.ts';
import { startDiscordSim, type DiscordSim } from '#sim/discord/index.ts';
import { startSchedulerHarness, type SchedulerHarness } from '../support/scheduler-harness.ts';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.ts';
import { printOutage } from './outage-report.ts';

// Storage stays full for longer than STORAGE_RETRY_SECONDS (1 s here, 600 by default): the request
// ends failed with a reason that names storage, told to the member, and the GPU ran it once.
const fsBytes = 128 * 1024;

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
  await tdb.pool.query(`insert into comfy_instance (name, base_url) values ('comfy-1', $1)`, [comfy.url]);
  h = await startSchedulerHarness({ tdb, discord, comfyUrls: [comfy.url], env: { STORAGE_DIR: volume, STORAGE_RETRY_SECONDS: '1' } });
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

test('storage failing past STORAGE_RETRY_SECONDS: failed with a storage reason, delivered once, GPU work not repeated', async () => {
  await writeFile(path.join(volume, 'filler'), Buffer.alloc(fsBytes)).catch((err: NodeJS.ErrnoException) => expect(err.code).toBe('ENOSPC'));
  const startedAt = Date.now();
  const { generation } = await h.enqueue({ seed: '1' });

  const row = await h.waitFor(generation.id, ['failed'], { delivered: true, timeoutMs: 15_000 });
  const settledAt = Date.now();
  expect(row.errorCode).toBe('storage_unavailable');
  expect(row.errorMessage).toMatch(/storage/i);
  expect(row.errorMessage).not.toMatch(/image servers could not finish/);
  expect(comfy.executions.map((e) => e.status)).toEqual(['success']);
  const messages = discord.messages(row.channelId).filter((m) => JSON.stringify(m.embeds).includes(generation.id));
  expect(messages).toHaveLength(1);
  expect(JSON.stringify(messages[0]!.embeds)).toMatch(/storage/i);
  // Still failing: intake stays held until a write succeeds (the health job's probe, or a retry).
  expect((await tdb.pool.query('select failing_since is not null as failing from storage_health')).rows[0].failing).toBe(true);

  printOutage('storage failing past its retry deadline', {
    submitted: 1,
    settled: 1,
    lost: 0,
    duplicated: messages.length - 1,
    'failed with a storage reason': row.errorMessage ?? '',
    'time to settle (enqueue → failure delivered)': `${settledAt - startedAt} ms`,
  });
});
