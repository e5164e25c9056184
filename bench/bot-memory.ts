// Bot memory with many guilds (issue #14: RSS < 150 MB), side by side with its anchor: a bare
// discord.js client with default caches (intent Guilds). Ours is the real bot process, `node bot/main.ts`
// (pool, pg-boss, storage, metrics listener, gateway), measured from /proc after `bot ready`; the anchor
// runs in its own child process after a forced GC (which only flatters the anchor).
//   node bench/bot-memory.ts                   (BENCH_GUILDS=1000; per guild BENCH_CHANNELS=20, BENCH_ROLES=20, BENCH_EMOJIS=30)
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startDiscordSim } from '#sim/discord/index.ts';
import { measureBotProcess } from './lib/bot-process-rss.ts';
import { freshDatabase } from './lib/database.ts';

const guilds = Number(process.env.BENCH_GUILDS ?? 1000);
const channelsPerGuild = Number(process.env.BENCH_CHANNELS ?? 20);
const rolesPerGuild = Number(process.env.BENCH_ROLES ?? 20);
const emojisPerGuild = Number(process.env.BENCH_EMOJIS ?? 30);
const child = fileURLToPath(new URL('./lib/memory-child.ts', import.meta.url));
const MB = 1024 * 1024;

interface ChildReport {
  kind: string;
  rss: number;
  heapUsed: number;
  cached: { guilds: number; channels: number; roles: number; members: number; users: number; emojis: number };
}

async function measure(kind: 'bare', apiBase: string, token: string): Promise<ChildReport> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', child, kind, apiBase, token, String(guilds)], { timeout: 120_000 });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as ChildReport;
}

// Fixed cost of a Node process running discord.js, with no guild at all: subtract it to see what the caches cost.
const empty = await startDiscordSim({ seed: false });
const baseline = await measure('bare', empty.apiBase, empty.token).finally(() => empty.close());
const sim = await startDiscordSim({ seed: false });
const db = await freshDatabase('genonaut_bench_bot_memory');
try {
  // Each guild has its own owner, so GUILD_CREATE carries two members (the bot and the owner).
  for (let i = 0; i < guilds; i++) {
    const owner = sim.addUser();
    sim.addGuild({ ownerId: owner.id, channels: Array.from({ length: channelsPerGuild }, (_, c) => ({ name: `channel-${c}` })), roles: rolesPerGuild, emojis: emojisPerGuild });
  }
  const bare = await measure('bare', sim.apiBase, sim.token);
  // bot/main.ts switches Node's compile cache on: a first start strips the TypeScript (and keeps the
  // stripper's memory), later starts read the cache. Both are measured, in a fresh cache folder.
  const compileCacheDir = await mkdtemp(path.join(tmpdir(), 'gn-bench-compile-cache-'));
  const run = () => measureBotProcess({ databaseUrl: db.url, apiBase: sim.apiBase, token: sim.token, applicationId: sim.applicationId, compileCacheDir });
  const first = await run();
  const ours = await run().finally(() => rm(compileCacheDir, { recursive: true, force: true }));
  const line = (label: string, r: ChildReport) =>
    `${label.padEnd(36)} rss=${(r.rss / MB).toFixed(1)}MB  heapUsed=${(r.heapUsed / MB).toFixed(1)}MB  cached ${JSON.stringify(r.cached)}`;
  console.log(`memory after READY with ${guilds} guilds × (${channelsPerGuild} text channels, ${rolesPerGuild} roles, ${emojisPerGuild} emojis)`);
  console.log(line('baseline: bare client, 0 guilds', baseline));
  console.log(line('anchor: bare discord.js (defaults)', bare));
  console.log(`${'genonaut: node bot/main.ts'.padEnd(36)} rss=${(ours.rss / MB).toFixed(1)}MB  (whole process, no forced GC; first start, empty compile cache: ${(first.rss / MB).toFixed(1)}MB)`);
  console.log(`ratio rss ${(ours.rss / bare.rss).toFixed(2)}× (goal rss < 150 MB: ${(ours.rss / MB).toFixed(1)} MB)`);
  console.log(`over the 0-guild baseline: anchor rss +${((bare.rss - baseline.rss) / MB).toFixed(1)}MB; genonaut rss +${((ours.rss - baseline.rss) / MB).toFixed(1)}MB`);
  console.log("note: like Discord for a bot without privileged intents, GUILD_CREATE carries only a few members (bot, owner); " +
    'it has no stickers, threads, voice states or presences here.');
} finally {
  await sim.close();
  await db.drop();
}
process.exit(0);
