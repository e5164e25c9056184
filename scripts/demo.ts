// npm run demo: the whole flow on one machine with the stand-ins, no Discord or GPU needed.
// Needs DATABASE_URL (an empty or Genonaut database). Starts sim/discord and sim/comfyui, migrates,
// discovers models, runs bot + scheduler in this process, plays a user typing /imagine, prints
// what the user sees, and stops.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { registerCommands } from '#bot/register-commands.ts';
import { startBot } from '#bot/start-bot.ts';
import { discoverModels } from '#shared/comfyui/discovery/index.ts';
import { ComfyClient } from '#shared/comfyui/client.ts';
import { parseConfig } from '#shared/config.ts';
import { migrate } from '#shared/db/migrate.ts';
import { createPool } from '#shared/db/pool.ts';
import { createLogger, logUncaught } from '#shared/logging.ts';
import { startBoss } from '#shared/queue/boss.ts';
import { startScheduler } from '#scheduler/start-scheduler.ts';
import { startComfySim } from '#sim/comfyui/index.ts';
import { startDiscordSim } from '#sim/discord/index.ts';

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) {
  process.stderr.write('config error: DATABASE_URL: required: a postgres:// connection URL\n');
  process.exit(78);
}
const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'warn', name: 'demo' });
logUncaught(logger);
const say = (line: string) => process.stdout.write(`${line}\n`);

const discord = await startDiscordSim();
const comfy = await startComfySim({
  models: { checkpoints: ['sd_xl_base_1.0.safetensors'], loras: ['watercolor.safetensors'] },
  secondsPerStep: 0.05,
});
say(`stand-ins: Discord ${discord.apiBase}, ComfyUI ${comfy.url}`);
await migrate(databaseUrl);

const config = parseConfig('start', {
  DATABASE_URL: databaseUrl,
  DISCORD_TOKEN: discord.token,
  DISCORD_APPLICATION_ID: discord.applicationId,
  DISCORD_API_BASE: discord.apiBase,
  COMFYUI_URLS: comfy.url,
  STORAGE_DIR: process.env.STORAGE_DIR ?? (await mkdtemp(path.join(tmpdir(), 'genonaut-demo-'))),
  ADMIN_TOKEN: 'demo-admin-token-not-for-production',
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
});
const scheduler = await startScheduler({ config, logger, schedules: false });
const found = await discoverModels({ pool: scheduler.context.pool, logger, enableNew: true, clientFor: (i) => new ComfyClient({ baseUrl: i.baseUrl, logger }) });
say(`models discovered: ${found.added.map((m) => `${m.kind} ${m.fileName}`).join(', ') || 'none new'}`);

await registerCommands({ token: discord.token, applicationId: discord.applicationId, apiBase: discord.apiBase, guildId: discord.defaultGuild!.id });
const pool = createPool(databaseUrl);
const producer = await startBoss(databaseUrl, { supervise: false, logger });
const bot = await startBot({
  token: discord.token, applicationId: discord.applicationId, apiBase: discord.apiBase, pool, boss: producer, logger,
  images: { storage: scheduler.context.storage, links: scheduler.context.imageLinks },
});
await discord.waitForBot();

const prompt = process.argv.slice(2).join(' ') || 'a lighthouse at dusk, watercolor';
say(`alice: /imagine prompt:${prompt} lora:watercolor.safetensors`);
const ix = discord.sendCommand({
  user: discord.defaultUser!,
  guild: discord.defaultGuild!,
  name: 'imagine',
  options: [{ name: 'prompt', value: prompt }, { name: 'lora', value: 'watercolor.safetensors' }],
});
const first = (await ix.waitForResponse(5_000)).data as { embeds?: { title?: string }[] };
say(`bot (within ${Date.now() - ix.createdAt} ms): ${first.embeds?.[0]?.title}`);

const deadline = Date.now() + 60_000;
while (!ix.original()?.attachments.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
const result = ix.original();
if (result?.attachments.length) {
  const embed = result.embeds[0] as { title?: string; fields?: { name: string; value: string }[] } | undefined;
  say(`bot edits the reply: ${embed?.title}`);
  for (const field of embed?.fields ?? []) say(`  ${field.name}: ${field.value}`);
  say(`  image: ${result.attachments[0]!.url} (${result.attachments[0]!.size} bytes)`);
} else {
  say('no result within 60 s — run with LOG_LEVEL=info to see why');
  process.exitCode = 1;
}

await bot.stop();
await producer.stop({ graceful: true, timeout: 5_000 });
await pool.end();
await scheduler.stop();
await Promise.all([discord.close(), comfy.close()]);
process.exit();
