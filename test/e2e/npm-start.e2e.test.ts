import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { registerCommands } from '#bot/register-commands.ts';
import { startComfySim, type ComfySim } from '#sim/comfyui/index.ts';
import { startDiscordSim, type DiscordSim } from '#sim/discord/index.ts';
import { seedModels } from '../support/e2e.ts';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.ts';

let discord: DiscordSim;
let comfy: ComfySim;
let db: TestDatabase;
let child: ChildProcess | undefined;
let output = '';
const adminToken = 'e2e-admin-token-0123456789abcdef';

beforeAll(async () => {
  db = await createTestDatabase();
  discord = await startDiscordSim();
  comfy = await startComfySim({ models: { checkpoints: ['sdxl_base.safetensors', 'after_dark.safetensors'], loras: ['watercolor.safetensors'] } });
  await seedModels(db);
  await registerCommands({ token: discord.token, applicationId: discord.applicationId, apiBase: discord.apiBase, guildId: discord.defaultGuild!.id });
});
afterAll(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGKILL');
    await once(child, 'exit');
  }
  await Promise.all([discord?.close(), comfy?.close()]);
  await db?.drop();
});

test('`npm start` (one process): /imagine in Discord → queued → ComfyUI → image delivered in the same message; admin API up; clean stop', async () => {
  const port = 20000 + Math.floor(Math.random() * 20000);
  child = spawn(process.execPath, ['scripts/start.ts'], {
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: db.url,
      DISCORD_TOKEN: discord.token,
      DISCORD_APPLICATION_ID: discord.applicationId,
      DISCORD_API_BASE: discord.apiBase,
      COMFYUI_URLS: comfy.url,
      STORAGE_DIR: await mkdtemp(path.join(tmpdir(), 'gn-start-')),
      ADMIN_TOKEN: adminToken,
      ADMIN_PORT: String(port),
      PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, 'exit');

  await expect.poll(() => output, { timeout: 20_000 }).toContain('genonaut started');
  await discord.waitForBot(10_000);

  const ix = discord.sendCommand({
    user: discord.defaultUser!,
    guild: discord.defaultGuild!,
    name: 'imagine',
    options: [{ name: 'prompt', value: 'a red fox in fresh snow' }, { name: 'lora', value: 'watercolor.safetensors' }],
  });
  const response = await ix.waitForResponse(5_000);
  expect((response.data as { embeds: { title: string }[] }).embeds[0]!.title).toMatch(/^Queued/);

  // The scheduler edits the original reply: the result embed with the image attached.
  await expect.poll(() => ix.original()?.attachments.length ?? 0, { timeout: 20_000 }).toBe(1);
  const delivered = ix.original()!;
  expect(JSON.stringify(delivered.embeds)).toContain('a red fox in fresh snow');
  expect(JSON.stringify(delivered.embeds)).toContain('watercolor.safetensors');
  const image = await fetch(delivered.attachments[0]!.url);
  expect(image.headers.get('content-type')).toBe('image/png');
  // The embed's link is signed by the scheduler and opens on the admin API of the same process.
  const link = await fetch((delivered.embeds[0] as { url: string }).url);
  expect(link.status).toBe(200);
  expect(link.headers.get('content-type')).toBe('image/png');
  expect(Buffer.from(await link.arrayBuffer()).equals(Buffer.from(await image.arrayBuffer()))).toBe(true);
  expect(comfy.executions.filter((e) => e.status === 'success')).toHaveLength(1);
  expect(discord.violations).toEqual([]);

  const health = await fetch(`http://127.0.0.1:${port}/healthz`);
  expect(health.status).toBe(200);
  const list = await fetch(`http://127.0.0.1:${port}/api/v1/generations`, { headers: { authorization: `Bearer ${adminToken}` } });
  expect(((await list.json()) as { items: { status: string }[] }).items.map((g) => g.status)).toEqual(['succeeded']);

  expect(output).not.toContain(discord.token);
  expect(output).not.toContain(adminToken);
  expect(output).not.toContain(ix.token);

  child.kill('SIGTERM');
  const [code] = await exited;
  expect(code).toBe(0);
}, 60_000);
