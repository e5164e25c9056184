// The whole product on the stand-ins, for the playground page: sim/discord (which serves the page), sim/comfyui,
// scheduler, bot and admin API against one database. Started in-process; `stop()` undoes it in reverse order.
import path from 'node:path';
import { startAdminApi } from '#admin/start.ts';
import { registerCommands } from '#bot/register-commands.ts';
import { startBot } from '#bot/start-bot.ts';
import { parseConfig } from '#shared/config.ts';
import { migrate } from '#shared/db/migrate.ts';
import { createOrm } from '#shared/db/orm.ts';
import { asDb, createPool } from '#shared/db/pool.ts';
import { disableInstancesExcept } from '#shared/db/sql/instances.ts';
import { limiterSettingsFrom } from '#shared/limits/settings.ts';
import type { Logger } from '#shared/logging.ts';
import { startBoss } from '#shared/queue/boss.ts';
import { startScheduler } from '#scheduler/start-scheduler.ts';
import { startComfySim, type ComfySim } from '#sim/comfyui/index.ts';
import { startDiscordSim, type DiscordSim } from '#sim/discord/index.ts';
import { freePort } from '../demo/free-port.ts';

export interface PlaygroundOptions {
  databaseUrl: string;
  logger: Logger;
  /** Port of the stand-in Discord, which serves the page (0 = any free port). */
  port: number;
  storageDir: string;
  /** How long the stand-in ComfyUI takes per sampling step (0.1 s: progress is watchable; tests go faster). */
  secondsPerStep: number;
  say?: (line: string) => void;
}

export interface RunningPlayground {
  /** The page: `http://127.0.0.1:<port>/playground/`. */
  url: string;
  adminUrl: string;
  discord: DiscordSim;
  comfy: ComfySim;
  stop(): Promise<void>;
}

export const PLAYGROUND_ADMIN_TOKEN = 'playground-admin-token-not-for-production';

export async function startPlayground(opts: PlaygroundOptions): Promise<RunningPlayground> {
  const cleanups: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
  };
  try {
    return await start(opts, cleanups, stop);
  } catch (err) {
    await stop();
    throw err;
  }
}

async function start(opts: PlaygroundOptions, cleanups: (() => Promise<unknown>)[], stop: () => Promise<void>): Promise<RunningPlayground> {
  const { logger } = opts;
  const say = opts.say ?? (() => {});
  await migrate(opts.databaseUrl);
  const discord = await startDiscordSim({ port: opts.port });
  cleanups.push(() => discord.close());
  const comfy = await startComfySim({
    models: { checkpoints: ['sd_xl_base_1.0.safetensors', 'dreamshaper_8.safetensors'], loras: ['watercolor.safetensors', 'pixel-art.safetensors'] },
    secondsPerStep: opts.secondsPerStep,
  });
  cleanups.push(() => comfy.close());
  const adminPort = await freePort();
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const config = parseConfig('start', {
    DATABASE_URL: opts.databaseUrl,
    DISCORD_TOKEN: discord.token,
    DISCORD_APPLICATION_ID: discord.applicationId,
    DISCORD_API_BASE: discord.apiBase,
    COMFYUI_URLS: comfy.url,
    STORAGE_DIR: path.resolve(opts.storageDir),
    PUBLIC_BASE_URL: adminUrl,
    ADMIN_TOKEN: PLAYGROUND_ADMIN_TOKEN,
    ADMIN_PORT: String(adminPort),
    LOG_LEVEL: logger.level,
  });
  const pool = createPool(opts.databaseUrl);
  cleanups.push(() => pool.end());
  // A stand-in from an earlier run listened on another port: only this run's stays enabled.
  const stale = disableInstancesExcept([comfy.url]);
  await pool.query(stale.text, stale.values);
  const scheduler = await startScheduler({ config, logger: logger.child({ role: 'scheduler' }) });
  cleanups.push(() => scheduler.stop());
  await scheduler.firstDiscovery;

  const guild = discord.defaultGuild!;
  await registerCommands({ token: discord.token, applicationId: discord.applicationId, apiBase: discord.apiBase, guildId: guild.id });
  const producer = await startBoss(opts.databaseUrl, { supervise: false, logger, max: 4 });
  cleanups.push(() => producer.stop({ graceful: true, timeout: 5_000 }));
  const images = { storage: scheduler.context.storage, links: scheduler.context.imageLinks };
  const bot = await startBot({
    token: discord.token, applicationId: discord.applicationId, apiBase: discord.apiBase, pool, boss: producer,
    logger: logger.child({ role: 'bot' }), limits: limiterSettingsFrom(config), images,
  });
  cleanups.push(() => bot.stop());
  const orm = await createOrm(opts.databaseUrl);
  cleanups.push(() => orm.close());
  const admin = await startAdminApi({
    db: asDb(pool), orm, adminToken: PLAYGROUND_ADMIN_TOKEN, queue: { pool, boss: producer }, logger: logger.child({ role: 'admin-api' }), images,
    host: '127.0.0.1', port: adminPort,
  });
  cleanups.push(() => admin.close());
  await discord.waitForBot();

  const playground = discord.playground!;
  playground.addMember(discord.defaultUser!);
  playground.addMember(discord.addUser({ username: 'bob' }));
  playground.addMember(discord.addUser({ username: 'morgan' }), { moderator: true });
  say(`stand-ins: Discord ${discord.apiBase}, ComfyUI ${comfy.url}; admin API ${admin.url} (token ${PLAYGROUND_ADMIN_TOKEN})`);
  return { url: playground.url, adminUrl: admin.url, discord, comfy, stop };
}
