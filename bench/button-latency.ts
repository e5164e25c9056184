// Button press → first response under a burst (issue #10): 200 members press 🔁 on their own
// results in the same tick; Genonaut reads each generation, checks owner, options, models and limits,
// inserts the new row and its job, and replies "Queued". Side by side with its anchor: a bare
// discord.js bot that replies "ok" at once to the identical burst, on a fresh sim.
//   node bench/button-latency.ts     (BENCH_USERS=200, BENCH_ROUNDS=3, BENCH_WARMUP=20, BENCH_POOL_MAX=10 as in bot/main.ts)
// Rounds alternate anchor / genonaut so drift in machine state hits both; samples are pooled.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Routes } from 'discord-api-types/v10';
import { registerCommands } from '#bot/register-commands.ts';
import { startBot } from '#bot/start-bot.ts';
import { asDb, createPool } from '#shared/db/pool.ts';
import { GenerationRepository } from '#shared/db/repositories/generation-repository.ts';
import { createDiscordRest } from '#shared/discord/rest.ts';
import { ImageLinks } from '#shared/images/image-links.ts';
import { startBoss } from '#shared/queue/boss.ts';
import { resultButtons } from '#shared/render/result-message.ts';
import { LocalStorage } from '#shared/storage/local-storage.ts';
import { startDiscordSim, type DiscordSim, type SimUser } from '#sim/discord/index.ts';
import { seedModels } from '../test/support/e2e.ts';
import { startBareBot } from './lib/bare-bot.ts';
import { freshDatabase } from './lib/database.ts';
import { buttonBurst, type BurstResult, type ButtonPress } from './lib/interaction-burst.ts';
import { benchLogger, newGenerationFor, removeAtExit } from './lib/stack.ts';
import { formatSummary, summarize } from './lib/stats.ts';

const users = Number(process.env.BENCH_USERS ?? 200);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const warmup = Number(process.env.BENCH_WARMUP ?? 20);
const poolMax = Number(process.env.BENCH_POOL_MAX ?? 10);

const db = await freshDatabase('genonaut_bench_buttons');
const pool = createPool(db.url, { max: poolMax });
const boss = await startBoss(db.url, { supervise: false, max: 4 });
const repo = new GenerationRepository(asDb(pool));
// 🔁 never reads an image, so storage stays empty.
const images = { storage: new LocalStorage(removeAtExit(await mkdtemp(path.join(tmpdir(), 'gn-bench-images-')))), links: new ImageLinks({ db: asDb(pool), ttlSeconds: 600, baseUrl: 'http://127.0.0.1:8787' }) };

/** One delivered result per user (a succeeded row, and the bot's message carrying its buttons); its 🔁 press. */
async function resultsToPress(sim: DiscordSim, crowd: SimUser[]): Promise<ButtonPress[]> {
  const rest = createDiscordRest(sim.apiBase, sim.token);
  const channelId = sim.defaultGuild!.channels[0]!.id;
  const presses: ButtonPress[] = [];
  for (const user of crowd) {
    const g = await repo.create(newGenerationFor(sim, user.id, { checkpoint: 'sdxl_base.safetensors', width: 1024, height: 1024, steps: 30, prompt: `a watercolor fox for ${user.id}` }));
    await repo.transition(g.id, 'running');
    await repo.transition(g.id, 'succeeded', { outputs: [] });
    const posted = (await rest.post(Routes.channelMessages(channelId), { body: { content: 'result', components: resultButtons(g, -1, []) } })) as { id: string };
    presses.push({ user, message: sim.message(posted.id)!, customId: `again:v1:${g.id}` });
  }
  return presses;
}

type StartBot = (sim: DiscordSim) => Promise<{ stop(): Promise<void> }>;

/** Same setup for both bots: fresh sim, the real commands, `users` results to press, a warm-up. */
async function measure(startUnderTest: StartBot): Promise<BurstResult> {
  const sim = await startDiscordSim();
  try {
    await registerCommands({ token: sim.token, applicationId: sim.applicationId, apiBase: sim.apiBase, guildId: sim.defaultGuild!.id });
    const presses = await resultsToPress(sim, Array.from({ length: users }, () => sim.addUser()));
    const warm = await resultsToPress(sim, Array.from({ length: warmup }, () => sim.addUser()));
    const bot = await startUnderTest(sim);
    try {
      await sim.waitForBot();
      for (const press of warm) await buttonBurst(sim, [press]);
      return await buttonBurst(sim, presses);
    } finally {
      await bot.stop();
    }
  } finally {
    await sim.close();
  }
}

try {
  await seedModels({ name: 'genonaut_bench_buttons', url: db.url, pool, drop: async () => {} });
  const anchorBot: StartBot = (sim) => startBareBot({ apiBase: sim.apiBase, token: sim.token });
  const ourBot: StartBot = (sim) =>
    startBot({ token: sim.token, applicationId: sim.applicationId, apiBase: sim.apiBase, pool, boss, logger: benchLogger, waitGuildTimeoutMs: 1_000, images });
  const anchor: number[] = [];
  const ours: number[] = [];
  console.log(`button → first callback, ${users} owners pressing 🔁 on their results in the same tick, ${rounds} rounds, bot pool max ${poolMax} (ms, sim-recorded)`);
  for (let r = 1; r <= rounds; r++) {
    const a = await measure(anchorBot);
    const o = await measure(ourBot);
    anchor.push(...a.samples);
    ours.push(...o.samples);
    const fmt = (b: BurstResult) => `types ${JSON.stringify(b.types)}${b.failures ? `, ${b.failures} with no callback` : ''}${b.ephemeral ? `, ${b.ephemeral} refused/errors` : ''}`;
    console.log(formatSummary(`  round ${r} anchor: bare discord.js`, summarize(a.samples)), ' ', fmt(a));
    console.log(formatSummary(`  round ${r} genonaut: 🔁`, summarize(o.samples)), ' ', fmt(o));
  }
  const a = summarize(anchor);
  const o = summarize(ours);
  console.log(formatSummary('anchor: bare discord.js reply', a));
  console.log(formatSummary('genonaut: 🔁 queued reply', o));
  const { rows } = await pool.query<{ n: string }>('select count(*) as n from generation where parent_id is not null');
  console.log(`regenerations queued: ${rows[0]!.n} of ${rounds * (users + warmup)} presses`);
  console.log(`ratio p50 ${(o.p50 / a.p50).toFixed(2)}×, p99 ${(o.p99 / a.p99).toFixed(2)}× (Discord's deadline: 3000 ms; p99 ${o.p99.toFixed(1)} ms)`);
} finally {
  await boss.stop({ graceful: false });
  await pool.end();
  await db.drop();
}
process.exit(0);
