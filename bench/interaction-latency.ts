// Interaction → first response under a burst of concurrent users (DESIGN §9), side by side with its
// anchor: a bare discord.js bot that replies "ok" at once, fed the identical burst by a fresh sim.
//   node bench/interaction-latency.ts          (BENCH_USERS=200, BENCH_ROUNDS=3, BENCH_WARMUP=20, BENCH_POOL_MAX=10 as in bot/main.ts,
//   BENCH_DEFER_AFTER_MS unset = the bot's default)
// Rounds alternate anchor / genonaut so drift in machine state hits both; samples are pooled.
import { registerCommands } from '#bot/register-commands.ts';
import { startBot } from '#bot/start-bot.ts';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { asDb, createPool } from '#shared/db/pool.ts';
import { ImageLinks } from '#shared/images/image-links.ts';
import { LocalStorage } from '#shared/storage/local-storage.ts';
import { startBoss } from '#shared/queue/boss.ts';
import { startDiscordSim, type DiscordSim } from '#sim/discord/index.ts';
import { seedModels } from '../test/support/e2e.ts';
import { startBareBot } from './lib/bare-bot.ts';
import { freshDatabase } from './lib/database.ts';
import { imagineBurst, type BurstResult } from './lib/interaction-burst.ts';
import { benchLogger } from './lib/stack.ts';
import { formatSummary, summarize } from './lib/stats.ts';

const users = Number(process.env.BENCH_USERS ?? 200);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const warmup = Number(process.env.BENCH_WARMUP ?? 20);
const poolMax = Number(process.env.BENCH_POOL_MAX ?? 10);
const deferAfterMs = process.env.BENCH_DEFER_AFTER_MS === undefined ? undefined : Number(process.env.BENCH_DEFER_AFTER_MS);
const prompt = (i: number) => `a watercolor fox number ${i} in a snowy forest, soft light`;

type StartBot = (sim: DiscordSim) => Promise<{ stop(): Promise<void> }>;

/** Same setup for both bots: fresh sim, the real commands registered in its guild, `users` users, a warm-up. */
async function measure(startUnderTest: StartBot): Promise<BurstResult> {
  const sim = await startDiscordSim();
  try {
    await registerCommands({ token: sim.token, applicationId: sim.applicationId, apiBase: sim.apiBase, guildId: sim.defaultGuild!.id });
    const crowd = Array.from({ length: users }, () => sim.addUser());
    const bot = await startUnderTest(sim);
    try {
      await sim.waitForBot();
      const warm = Array.from({ length: warmup }, () => sim.addUser());
      for (const user of warm) await imagineBurst(sim, [user], () => 'warm-up');
      return await imagineBurst(sim, crowd, prompt);
    } finally {
      await bot.stop();
    }
  } finally {
    await sim.close();
  }
}

const db = await freshDatabase('genonaut_bench_interaction');
const pool = createPool(db.url, { max: poolMax });
const boss = await startBoss(db.url, { supervise: false, max: 4 });
// /imagine only: no result button is pressed, so the images are never read.
const images = { storage: new LocalStorage(await mkdtemp(path.join(tmpdir(), 'gn-bench-images-'))), links: new ImageLinks({ db: asDb(pool), ttlSeconds: 600, baseUrl: 'http://127.0.0.1:8787' }) };
try {
  await seedModels({ name: 'genonaut_bench_interaction', url: db.url, pool, drop: async () => {} });
  const anchorBot: StartBot = (sim) => startBareBot({ apiBase: sim.apiBase, token: sim.token });
  const ourBot: StartBot = (sim) =>
    startBot({ token: sim.token, applicationId: sim.applicationId, apiBase: sim.apiBase, pool, boss, logger: benchLogger, waitGuildTimeoutMs: 1_000, deferAfterMs, images });
  const anchor: number[] = [];
  const ours: number[] = [];
  console.log(`interaction → first callback, ${users} users sending /imagine in the same tick, ${rounds} rounds, bot pool max ${poolMax}, defer after ${deferAfterMs ?? 'default'} ms (ms, sim-recorded)`);
  for (let r = 1; r <= rounds; r++) {
    const a = await measure(anchorBot);
    const o = await measure(ourBot);
    anchor.push(...a.samples);
    ours.push(...o.samples);
    const fmt = (b: BurstResult) => `types ${JSON.stringify(b.types)}${b.failures ? `, ${b.failures} with no callback` : ''}`;
    console.log(formatSummary(`  round ${r} anchor: bare discord.js`, summarize(a.samples)), ' ', fmt(a));
    console.log(formatSummary(`  round ${r} genonaut: /imagine`, summarize(o.samples)), ' ', fmt(o));
  }
  const a = summarize(anchor);
  const o = summarize(ours);
  console.log(formatSummary('anchor: bare discord.js reply', a));
  console.log(formatSummary('genonaut: /imagine queued reply', o));
  console.log(`ratio p50 ${(o.p50 / a.p50).toFixed(2)}×, p99 ${(o.p99 / a.p99).toFixed(2)}× (goal p99 ≤ 1.5× and < 150 ms: p99 ${o.p99.toFixed(1)} ms)`);
} finally {
  await boss.stop({ graceful: false });
  await pool.end();
  await db.drop();
}
process.exit(0);
