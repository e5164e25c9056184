import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { registerCommands } from '#bot/register-commands.ts';
import { startComfySim, type ComfySim } from '#sim/comfyui/index.ts';
import { startDiscordSim, type DiscordSim } from '#sim/discord/index.ts';
import { freePort } from '../../scripts/demo/free-port.ts';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.ts';

const adminToken = 'e2e-admin-token-0123456789abcdef';
const cleanups: (() => Promise<unknown>)[] = [];

interface Started {
  child: ChildProcess;
  output(): string;
  exited: Promise<unknown[]>;
}

/** A fresh database and sim/discord with the commands registered: what a first `npm start` meets. */
async function freshWorld(): Promise<{ db: TestDatabase; discord: DiscordSim }> {
  const db = await createTestDatabase();
  cleanups.push(() => db.drop());
  const discord = await startDiscordSim();
  cleanups.push(() => discord.close());
  await registerCommands({ token: discord.token, applicationId: discord.applicationId, apiBase: discord.apiBase, guildId: discord.defaultGuild!.id });
  return { db, discord };
}

async function npmStart(db: TestDatabase, discord: DiscordSim, env: Record<string, string> & { ADMIN_PORT: string }): Promise<Started> {
  let output = '';
  const port = env.ADMIN_PORT;
  const child = spawn(process.execPath, ['scripts/start.ts'], {
    env: {
      PATH: process.env.PATH,
      TMPDIR: process.env.TMPDIR,
      DATABASE_URL: db.url,
      DISCORD_TOKEN: discord.token,
      DISCORD_APPLICATION_ID: discord.applicationId,
      DISCORD_API_BASE: discord.apiBase,
      STORAGE_DIR: await mkdtemp(path.join(tmpdir(), 'gn-start-')),
      ADMIN_TOKEN: adminToken,
      PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
      LOG_LEVEL: 'info',
      BOT_METRICS_PORT: '0',
      SCHEDULER_METRICS_PORT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, 'exit');
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  return { child, output: () => output, exited };
}

let comfy: ComfySim;
beforeAll(async () => {
  comfy = await startComfySim({ models: { checkpoints: ['sdxl_base.safetensors', 'after_dark.safetensors'], loras: ['watercolor.safetensors'] } });
  cleanups.push(() => comfy.close());
});
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
});

test('first `npm start` on a fresh database: the very first /imagine is accepted and delivered; admin API up; clean stop', { timeout: 90_000 }, async () => {
  const { db, discord } = await freshWorld();
  // ComfyUI is slow to answer at first (a few 503s, retried with backoff): discovery takes seconds,
  // far longer than the bot needs to log in, so a bot that did not wait would refuse the first /imagine.
  comfy.failNextRequests(4, { status: 503, pathPrefix: '/object_info' });
  const port = await freePort();
  const app = await npmStart(db, discord, { COMFYUI_URLS: comfy.url, ADMIN_PORT: String(port) });

  await expect.poll(app.output, { timeout: 60_000 }).toContain('genonaut started'); // a loaded machine starts Node slowly
  // The bot logged in only after the first discovery pass.
  expect(app.output().indexOf('model discovery done')).toBeGreaterThan(-1);
  expect(app.output().indexOf('model discovery done')).toBeLessThan(app.output().indexOf('bot ready'));
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

  expect(app.output()).not.toContain(discord.token);
  expect(app.output()).not.toContain(adminToken);
  expect(app.output()).not.toContain(ix.token);

  app.child.kill('SIGTERM');
  const [code] = await app.exited;
  expect(code).toBe(0);
});

test('a ComfyUI that never answers holds the bot back only STARTUP_DISCOVERY_WAIT_SECONDS; /imagine then says models are being discovered', { timeout: 90_000 }, async () => {
  // Accepts connections and never answers: discovery waits on it until its own 60 s timeout.
  const sockets = new Set<Socket>();
  const silent: Server = createServer((socket) => sockets.add(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });
  const { db, discord } = await freshWorld();
  const silentUrl = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
  const app = await npmStart(db, discord, { COMFYUI_URLS: silentUrl, ADMIN_PORT: String(await freePort()), STARTUP_DISCOVERY_WAIT_SECONDS: '1' });

  // Started before discovery could end (its 60 s timeout on the silent server), however slowly a loaded
  // machine starts Node: the wait is bounded below that, and discovery must not have ended first.
  await expect.poll(app.output, { timeout: 45_000 }).toContain('genonaut started');
  expect(app.output()).toContain('model discovery is still running; starting the bot anyway');
  expect(app.output()).not.toContain('model discovery done');
  await discord.waitForBot(10_000);

  const ix = discord.sendCommand({ user: discord.defaultUser!, guild: discord.defaultGuild!, name: 'imagine', options: [{ name: 'prompt', value: 'a fox' }] });
  const response = await ix.waitForResponse(5_000);
  expect((response.data as { flags: number }).flags & 64).toBe(64);
  expect((response.data as { embeds: { description: string }[] }).embeds[0]!.description).toBe('Models are still being discovered. Try again in a few seconds.');

  // Stopping does not wait for the hanging discovery either.
  app.child.kill('SIGTERM');
  const [code] = await app.exited;
  expect(code).toBe(0);
});
