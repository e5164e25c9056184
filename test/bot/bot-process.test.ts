import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { registerCommands } from '#bot/register-commands.ts';
import { startDiscordSim, type DiscordSim } from '#sim/discord/index.ts';
import { seedModels } from '../support/e2e.ts';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.ts';

let sim: DiscordSim;
let db: TestDatabase;
let child: ChildProcess | undefined;
let output = '';

beforeAll(async () => {
  db = await createTestDatabase();
  sim = await startDiscordSim();
  await seedModels(db);
  await registerCommands({ token: sim.token, applicationId: sim.applicationId, apiBase: sim.apiBase, guildId: sim.defaultGuild!.id });
});
afterAll(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGKILL');
    await once(child, 'exit');
  }
  await sim?.close();
  await db?.drop();
});

test('`node bot/main.ts` logs in to the sim, answers /imagine, survives packets discord.js cannot read, and stops cleanly on SIGTERM', async () => {
  child = spawn(process.execPath, ['bot/main.ts'], {
    env: {
      PATH: process.env.PATH, TMPDIR: process.env.TMPDIR, DATABASE_URL: db.url, DISCORD_TOKEN: sim.token, DISCORD_APPLICATION_ID: sim.applicationId,
      DISCORD_API_BASE: sim.apiBase, LOG_LEVEL: 'info', BOT_METRICS_PORT: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, 'exit');

  await sim.waitForBot(20_000);
  await expect.poll(() => output, { timeout: 10_000 }).toContain('bot ready');
  expect(output).not.toContain(sim.token);
  // Its pool's connections were all opened before it logged in (bot/run-bot.ts), for the first burst.
  const backends = await db.pool.query(`select count(*)::int as n from pg_stat_activity where datname = $1 and application_name = 'genonaut-bot'`, [db.name]);
  expect(backends.rows[0].n).toBe(10);

  const ix = sim.sendCommand({ user: sim.defaultUser!, guild: sim.defaultGuild!, name: 'imagine', options: [{ name: 'prompt', value: 'a lighthouse at dusk' }] });
  const response = await ix.waitForResponse(5_000);
  expect(response.type).toBe(4);
  expect((response.data as { embeds: { title: string }[] }).embeds[0]!.title).toBe('Queued — #1 in line');
  const { rows } = await db.pool.query(`select count(*)::int as n from generation g join pgboss.job j on j.data->>'generationId' = g.id::text where g.prompt = 'a lighthouse at dusk'`);
  expect(rows[0].n).toBe(1);
  expect(sim.violations).toEqual([]);

  // A gateway packet discord.js cannot read throws inside its handler: an unhandled rejection, logged, survived.
  sim.gateway.dispatch('MESSAGE_CREATE', null);
  await expect.poll(() => output, { timeout: 5_000 }).toContain('unhandled promise rejection; carrying on');
  // An interaction without member or user: answered ephemerally, not a crash.
  const odd = sim.sendRawInteraction({
    user: sim.defaultUser!, guild: sim.defaultGuild!, type: 2, data: { id: '1', name: 'imagine', type: 1 }, mutate: (p) => void delete p.member,
  });
  expect(((await odd.waitForResponse(5_000)).data as { flags: number }).flags & 64).toBe(64);
  // The answer may reach the sim before the log line reaches our pipe.
  await expect.poll(() => output, { timeout: 5_000 }).toContain('discord.js could not read an interaction');

  const again = sim.sendCommand({ user: sim.defaultUser!, guild: sim.defaultGuild!, name: 'imagine', options: [{ name: 'prompt', value: 'a lighthouse at dawn' }] });
  expect(((await again.waitForResponse(5_000)).data as { embeds: { title: string }[] }).embeds[0]!.title).toBe('Queued — #2 in line');
  expect(child.exitCode).toBeNull();

  child.kill('SIGTERM');
  const [code] = await exited;
  expect(code).toBe(0);
  expect(output).toContain('bot stopped');
}, 40_000);
