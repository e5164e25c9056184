// npm run demo [-- prompt words]: the whole flow on one machine with the stand-ins, no Discord or GPU
// needed. Uses DATABASE_URL (environment or .env) or else an embedded PostgreSQL in ./data/demo-postgres.
// Starts sim/discord and sim/comfyui, migrates, discovers models, runs bot + scheduler in this
// process, plays a member (/imagine, its progress and result, 🔁, a cancel, /quota), prints what the
// member sees at each step and where the image files are, and stops everything (also on Ctrl-C).
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { registerCommands } from '#bot/register-commands.ts';
import { startBot } from '#bot/start-bot.ts';
import { discoverModels } from '#shared/comfyui/discovery/index.ts';
import { ComfyClient } from '#shared/comfyui/client.ts';
import { parseConfig } from '#shared/config.ts';
import { migrate } from '#shared/db/migrate.ts';
import { createPool } from '#shared/db/pool.ts';
import { limiterSettingsFrom } from '#shared/limits/settings.ts';
import { disableInstancesExcept } from '#shared/db/sql/instances.ts';
import { createLogger } from '#shared/logging.ts';
import { startBoss } from '#shared/queue/boss.ts';
import { exitIfStartupProblem, guardStartup } from '#shared/startup-errors.ts';
import { startScheduler } from '#scheduler/start-scheduler.ts';
import { startComfySim } from '#sim/comfyui/index.ts';
import { startDiscordSim, type SentInteraction, type SimMessage } from '#sim/discord/index.ts';
import { openDemoDatabase } from './demo/database.ts';
import { buttonCustomIds, messageLines } from './demo/show.ts';
import { stopOnSignals } from './demo/stop-on-signal.ts';

if (existsSync('.env')) process.loadEnvFile('.env');
const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'warn', name: 'demo' });
const startup = { databaseUrl: process.env.DATABASE_URL };
const disarmStartupGuard = guardStartup(logger, startup);
const say = (line: string) => process.stdout.write(`${line}\n`);
const member = (line: string) => say(`  │ ${line}`);

const { cleanups, stopAll, signalled } = stopOnSignals({ logger, say, disarmStartupGuard });

try {
  await run();
} catch (err) {
  await stopAll();
  if (signalled()) process.exit(130); // a Ctrl-C reaches PostgreSQL too, so work in flight fails: expected
  exitIfStartupProblem(err, startup, 'demo');
  logger.fatal({ err }, 'demo failed');
  process.exit(1);
}
await stopAll();
process.exit();

async function run(): Promise<void> {
  const database = await openDemoDatabase(process.env.DATABASE_URL, say);
  startup.databaseUrl = database.url;
  cleanups.push(() => database.stop());
  say(`database: ${database.description}`);
  await migrate(database.url);

  const discord = await startDiscordSim();
  cleanups.push(() => discord.close());
  const comfy = await startComfySim({
    models: { checkpoints: ['sd_xl_base_1.0.safetensors'], loras: ['watercolor.safetensors'] },
    secondsPerStep: 0.1,
  });
  cleanups.push(() => comfy.close());
  say(`stand-ins: Discord ${discord.apiBase}, ComfyUI ${comfy.url}`);

  const storageDir = path.resolve(process.env.STORAGE_DIR ?? 'data/demo-images');
  const config = parseConfig('start', {
    DATABASE_URL: database.url,
    DISCORD_TOKEN: discord.token,
    DISCORD_APPLICATION_ID: discord.applicationId,
    DISCORD_API_BASE: discord.apiBase,
    COMFYUI_URLS: comfy.url,
    STORAGE_DIR: storageDir,
    ADMIN_TOKEN: 'demo-admin-token-not-for-production',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  });
  const pool = createPool(database.url);
  cleanups.push(() => pool.end());
  // A stand-in from an earlier run listened on another port: only this run's stays enabled.
  const stale = disableInstancesExcept([comfy.url]);
  const { rowCount: staleCount } = await pool.query(stale.text, stale.values);
  if (staleCount) say(`disabled ${staleCount} ComfyUI stand-in(s) left registered by an earlier run`);
  const scheduler = await startScheduler({ config, logger, schedules: false, metricsListen: null });
  cleanups.push(() => scheduler.stop());
  const found = await discoverModels({ pool, logger, enableNew: true, clientFor: (i) => new ComfyClient({ baseUrl: i.baseUrl, logger }) });
  say(`models discovered: ${found.added.map((m) => `${m.kind} ${m.fileName}`).join(', ') || 'none new (known from an earlier run)'}`);

  const guild = discord.defaultGuild!;
  const alice = discord.defaultUser!;
  await registerCommands({ token: discord.token, applicationId: discord.applicationId, apiBase: discord.apiBase, guildId: guild.id });
  const producer = await startBoss(database.url, { supervise: false, logger });
  cleanups.push(() => producer.stop({ graceful: true, timeout: 5_000 }));
  const bot = await startBot({ token: discord.token, applicationId: discord.applicationId, apiBase: discord.apiBase, pool, boss: producer, logger, limits: limiterSettingsFrom(config),
    images: { storage: scheduler.context.storage, links: scheduler.context.imageLinks },
  });
  cleanups.push(() => bot.stop());
  await discord.waitForBot();

  const prompt = process.argv.slice(2).join(' ') || 'a lighthouse at dusk, watercolor';
  say(`\n1. ${alice.username} types /imagine prompt:${prompt} lora:watercolor.safetensors`);
  const first = discord.sendCommand({
    user: alice, guild, name: 'imagine',
    options: [{ name: 'prompt', value: prompt }, { name: 'lora', value: 'watercolor.safetensors' }],
  });
  const result = await followUntilDone(first, 60_000);
  if (!result?.attachments.length) throw new Error('no result within 60 s — run with LOG_LEVEL=info to see why');
  const generationId = (await pool.query<{ id: string }>(`select id from generation where interaction_id = $1`, [first.id])).rows[0]?.id;
  const files = generationId ? await filesOf(storageDir, generationId) : [];
  say(`   image files written (${files.length}):`);
  for (const file of files) say(`     ${path.relative(process.cwd(), file)}`);
  if (files[0]) say(`   (WebP/JPEG thumbnails follow in ${path.relative(process.cwd(), path.join(path.dirname(files[0]), 'thumbs'))})`);

  say(`\n2. ${alice.username} presses 🔁 on the result: the same request again, same seed`);
  const againId = buttonCustomIds(result.components ?? []).find((id) => id.startsWith('again:'));
  if (!againId) throw new Error('the result has no 🔁 button');
  const again = discord.sendComponent({ user: alice, guild, message: result, customId: againId });
  const regenerated = await followUntilDone(again, 60_000);
  if (!regenerated?.attachments.length) throw new Error('the regeneration delivered no image within 60 s');
  const parent = (await pool.query<{ parentId: string | null }>(`select parent_id as "parentId" from generation where interaction_id = $1`, [again.id])).rows[0]?.parentId;
  say(`   a new generation, recorded as made from ${parent === generationId ? 'the first one' : `another (${parent ?? 'none'})`}`);

  say(`\n3. ${alice.username} asks for another (150 steps) and presses Cancel while it waits or runs`);
  const second = discord.sendCommand({ user: alice, guild, name: 'imagine', options: [{ name: 'prompt', value: `${prompt}, again` }, { name: 'steps', value: 150 }] });
  await second.waitForResponse(5_000);
  await waitFor(() => second.original(), 5_000);
  const queued = second.original()!;
  printRevision('reply', queued);
  const cancelId = buttonCustomIds(queued.components ?? []).find((id) => id.startsWith('cancel:'));
  if (!cancelId) throw new Error('the queued reply has no Cancel button');
  const press = discord.sendComponent({ user: alice, guild, message: queued, customId: cancelId });
  const pressed = await press.waitForResponse(5_000);
  say(`   the bot answers the button (${kindOf(pressed.type)}):`);
  for (const line of messageLines((pressed.data ?? {}) as SimMessage)) member(line);
  const ended = (m: SimMessage) => /cancelled/i.test(messageLines(m).join(' ')) && !buttonCustomIds(m.components ?? []).some((id) => id.startsWith('cancel:'));
  await followUntil(second, ended, 15_000, 'the reply ends', messageLines(pressed.data as SimMessage).join('\n'));

  say(`\n4. ${alice.username} types /quota`);
  const quota = discord.sendCommand({ user: alice, guild, name: 'quota', options: [] });
  const quotaReply = await quota.waitForResponse(5_000);
  await new Promise((r) => setTimeout(r, 300)); // a deferred reply is edited in just after
  // Times shown as the member saw them when the answer came, not 300 ms later: a minute's window
  // that ended meanwhile read "resets 0 s ago".
  for (const line of messageLines((quota.original() ?? quotaReply.data ?? {}) as SimMessage, quotaReply.at)) member(line);

  say(`\ndone. Images stay in ${path.relative(process.cwd(), storageDir) || '.'}; run it again any time.`);
}

/** Prints the reply, then every change a member would see, until it carries the image. */
async function followUntilDone(ix: SentInteraction, timeoutMs: number): Promise<SimMessage | undefined> {
  const response = await ix.waitForResponse(5_000);
  say(`   reply within ${Date.now() - ix.createdAt} ms (${kindOf(response.type)})`);
  return followUntil(ix, (m) => m.attachments.length > 0, timeoutMs, 'the bot edits the reply');
}

async function followUntil(ix: SentInteraction, done: (m: SimMessage) => boolean, timeoutMs: number, label: string, alreadyShown = ''): Promise<SimMessage | undefined> {
  const deadline = Date.now() + timeoutMs;
  let shown = alreadyShown;
  while (Date.now() < deadline) {
    const message = ix.original();
    const text = message ? messageLines(message).join('\n') : '';
    if (message && text !== shown) {
      printRevision(shown ? label : 'reply', message);
      shown = text;
    }
    if (message && done(message)) return message;
    await new Promise((r) => setTimeout(r, 50));
  }
  return ix.original();
}

function printRevision(label: string, message: SimMessage): void {
  say(`   ${label}:`);
  for (const line of messageLines(message)) member(line);
}

function kindOf(type: number): string {
  return ({ 4: 'message', 5: 'deferred, edited next', 6: 'button acknowledged', 7: 'message updated' } as Record<number, string>)[type] ?? `type ${type}`;
}

async function waitFor<T>(probe: () => T | undefined, timeoutMs: number): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 25));
  }
  return undefined;
}

/** The originals of one generation (thumbnails, in `thumbs/`, are written after delivery). */
async function filesOf(storageDir: string, generationId: string): Promise<string[]> {
  const entries = await readdir(storageDir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && path.basename(e.parentPath) === generationId)
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}
