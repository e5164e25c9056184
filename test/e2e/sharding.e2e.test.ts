import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo, type Server } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { registerCommands } from '#bot/register-commands.ts';
import { startDiscordSim, type DiscordSim, type SimGuild } from '#sim/discord/index.ts';
import { shardOf } from '#sim/discord/gateway.ts';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.ts';

// `npm run bot:shards` with BOT_SHARDS=2 against sim/discord: discord.js's ShardingManager runs two bot processes,
// the stand-in sends each guild's gateway events to shard (guild_id >> 22) % 2 only, and each shard answers its own.
const MANAGER = path.resolve('bot/shard-manager.ts');
const cwd = mkdtempSync(path.join(tmpdir(), 'gn-shards-'));
let db: TestDatabase;
let sim: DiscordSim;
const guilds: SimGuild[] = [];
/** Every guild of the stand-in, also the ones made while looking for one on the other shard. */
const allGuilds: SimGuild[] = [];
let metricsBase = 0;

beforeAll(async () => {
  db = await createTestDatabase();
  metricsBase = await freePortPair();
  sim = await startDiscordSim();
  guilds.push(sim.defaultGuild!);
  allGuilds.push(sim.defaultGuild!);
  // Guild ids are snowflakes: their shard follows the millisecond they were made in. One guild per shard.
  while (guilds.length < 2) {
    await new Promise((r) => setTimeout(r, 1));
    const guild = sim.addGuild({ name: `Guild ${guilds.length + 1}` });
    allGuilds.push(guild);
    if (shardOf(guild.id, 2) !== shardOf(guilds[0]!.id, 2)) guilds.push(guild);
  }
  for (const guild of guilds) await registerCommands({ token: sim.token, applicationId: sim.applicationId, apiBase: sim.apiBase, guildId: guild.id });
});
afterAll(async () => {
  await sim?.close();
  await db?.drop();
  rmSync(cwd, { recursive: true, force: true });
});

function startManager() {
  const env = {
    ...process.env,
    DATABASE_URL: db.url, DISCORD_TOKEN: sim.token, DISCORD_APPLICATION_ID: sim.applicationId, DISCORD_API_BASE: sim.apiBase,
    STORAGE_DIR: path.join(cwd, 'images'), BOT_SHARDS: '2', LOG_LEVEL: 'info', BOT_METRICS_PORT: String(metricsBase),
  };
  const child = spawn(process.execPath, [MANAGER], { env, detached: true, cwd });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, exited, out: () => stdout, err: () => stderr };
}

/** A free port whose successor is free too (the two shards' metrics listeners). */
async function freePortPair(): Promise<number> {
  for (;;) {
    const first = await listenOn(0);
    const port = (first.address() as AddressInfo).port;
    const second = await listenOn(port + 1).catch(() => undefined);
    first.close();
    second?.close();
    if (second) return port;
  }
}

function listenOn(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

function groupMembers(pgid: number): string[] {
  const ps = execFileSync('ps', ['-eo', 'pid=,pgid=,args='], { encoding: 'utf8' });
  return ps.split('\n').filter((l) => l.trim().split(/\s+/)[1] === String(pgid));
}

/** Which shard sessions the stand-in sent this interaction to. */
function receivers(interactionId: string): number[] {
  return [...sim.gateway.sessions.values()]
    .filter((s) => s.events.some((e) => e.t === 'INTERACTION_CREATE' && (e.d as { id: string }).id === interactionId))
    .map((s) => s.shard[0]);
}

describe('the bot under ShardingManager with 2 shards', () => {
  test('two processes connect as shards 0 and 1 of 2, each gets only its guilds, and each answers its own guild’s command', async () => {
    const manager = startManager();
    try {
      await expect.poll(() => manager.out(), { timeout: 45_000, interval: 200 }).toContain('every shard is ready');
      const sessions = [...sim.gateway.sessions.values()].filter((s) => s.socket);
      expect(sessions.map((s) => s.shard).sort()).toEqual([[0, 2], [1, 2]]);
      for (const session of sessions) {
        const ready = session.events.find((e) => e.t === 'READY')!.d as { guilds: { id: string }[] };
        expect(ready.guilds.map((g) => g.id).sort()).toEqual(allGuilds.filter((g) => shardOf(g.id, 2) === session.shard[0]).map((g) => g.id).sort());
      }
      // discord.js tells the manager a shard is ready on ClientReady, before that process writes its own 'bot ready' line.
      const readyPids = () => new Set(manager.out().split('\n').filter((l) => l.includes('"bot ready"')).map((l) => (JSON.parse(l) as { pid: number }).pid));
      await expect.poll(() => readyPids().size, { timeout: 5_000 }).toBe(2);

      for (const guild of guilds) {
        const sent = sim.sendCommand({ user: sim.defaultUser!, guild, name: 'quota' });
        const response = await sent.waitForResponse(10_000);
        expect([4, 5]).toContain(response.type);
        expect(receivers(sent.id)).toEqual([shardOf(guild.id, 2)]);
        await expect.poll(() => JSON.stringify(sent.original()?.embeds ?? []), { timeout: 10_000 }).toContain('Your limits here');
      }
      // Each shard serves its metrics and readiness on BOT_METRICS_PORT + its id, so they do not collide.
      for (const port of [metricsBase, metricsBase + 1]) {
        const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
        expect(ready.status, `port ${port}`).toBe(200);
      }
      expect(sim.violations).toEqual([]);
    } finally {
      process.kill(manager.child.pid!, 'SIGTERM');
      expect(await manager.exited).toBe(0);
    }
    expect(manager.err()).toBe('');
    expect(groupMembers(manager.child.pid!)).toEqual([]);
  }, 90_000);
});
