import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { PgBoss } from 'pg-boss';
import { asDb } from '#shared/db/pool.ts';
import { ImageLinks } from '#shared/images/image-links.ts';
import { LocalStorage } from '#shared/storage/local-storage.ts';
import type { LimiterSettings } from '#shared/limits/limiter.ts';
import { createLogger, type Logger } from '#shared/logging.ts';
import { startBoss } from '#shared/queue/boss.ts';
import { startDiscordSim, type DiscordSim, type DiscordSimOptions, type RecordedResponse, type SentInteraction, type SimChannel, type SimGuild, type SimMessage, type SimUser } from '#sim/discord/index.ts';
import { registerCommands } from '#bot/register-commands.ts';
import { startBot, type RunningBot } from '#bot/start-bot.ts';
import { createTestDatabase, type TestDatabase } from './testDatabase.ts';
import type { ImageInputSettings } from '#bot/images/image-input.ts';
import { startComfySim, type ComfySim } from '#sim/comfyui/index.ts';

export interface SeededModels {
  checkpoint: { id: number; fileName: string };
  nsfwCheckpoint: { id: number; fileName: string };
  lora: { id: number; fileName: string };
}

export interface E2EOptions {
  /** Options for sim/discord (e.g. its opt-in per-message edit limit). */
  discord?: DiscordSimOptions;
  /** Also start sim/comfyui with the seeded models installed, exposed as `comfy`. */
  comfy?: boolean;
  /** Register the commands globally instead of in the test guild. */
  globalCommands?: boolean;
  /** Passed to the bot: defer /imagine after this many ms of work (0 = always defer, to test that path). */
  deferAfterMs?: number;
  logger?: Logger;
  /** Seed the three models (default true); false leaves the registry empty, as before any discovery. */
  seedModels?: boolean;
  /** Limit defaults for the bot (none = nothing capped), and the limiter's clock (default: the database's). */
  limits?: LimiterSettings;
  limitClock?: () => Date;
  /** Extra roles in the play guild (its `roleIds`), for role policies. */
  guildRoles?: number;
  /**
   * Where the bot reads stored images and what base its signed links use (◀ ▶ on results); called
   * once the database exists, e.g. to start the admin API first. Default: an empty temp directory.
   */
  images?: (db: TestDatabase) => Promise<{ storageDir: string; baseUrl: string }>;
  /** The bot's picture caps and vary/upscale strengths (default: the configuration's defaults). */
  imageInput?: ImageInputSettings;
  /** Serve the bot's /metrics and /readyz on a free loopback port (bot.metricsUrl). */
  botMetrics?: boolean;
}

export interface Played {
  ix: SentInteraction;
  response: RecordedResponse;
  /** The message the response created or changed (the @original for replies). */
  message(): SimMessage | undefined;
}

/** Where an interaction comes from: the channel, and the member's roles in the guild. */
export interface Where {
  channel?: SimChannel;
  roles?: string[];
  /** The member's permissions (a bitfield, string or bigint); default: sim/discord's everyday member, without Manage Server. */
  permissions?: string | bigint;
}

export interface Player {
  user: SimUser;
  /** `/imagine` with options given by name (types come from the registered command). */
  imagine(options?: Record<string, string | number>, where?: Where): Promise<Played>;
  /** Any registered slash command, e.g. `/quota`; raw API options (an array) for subcommands. */
  command(name: string, options?: Record<string, string | number> | unknown[], where?: Where): Promise<Played>;
  click(message: SimMessage, customId: string, opts?: { componentType?: number; permissions?: string; roles?: string[] }): Promise<Played>;
  autocomplete(focused: string, typed: string, options?: Record<string, string | number>, where?: Where): Promise<Played>;
  submitModal(customId: string, fields: Record<string, string>, where?: { channel?: SimChannel }): Promise<Played>;
}

export interface E2E {
  db: TestDatabase;
  boss: PgBoss;
  sim: DiscordSim;
  /** sim/comfyui when started with `comfy: true`. */
  comfy: ComfySim | undefined;
  bot: RunningBot;
  guild: SimGuild;
  channel: SimChannel;
  nsfwChannel: SimChannel;
  /** The seeded models (undefined with `seedModels: false`). */
  models: SeededModels | undefined;
  playUser(user?: SimUser): Player;
  stop(): Promise<void>;
}

const toOptions = (o: Record<string, string | number> | unknown[] = {}) => (Array.isArray(o) ? o : Object.entries(o).map(([name, value]) => ({ name, value })));

async function played(ix: SentInteraction, timeoutMs = 5_000): Promise<Played> {
  const response = await ix.waitForResponse(timeoutMs);
  return { ix, response, message: () => ix.original() };
}

/** Inserts an sdxl checkpoint, an nsfw checkpoint and a LoRA (all enabled and available). */
export async function seedModels(db: TestDatabase): Promise<SeededModels> {
  const insert = async (kind: string, fileName: string, extra: { nsfw?: boolean; baseFamily?: string; strength?: number } = {}) => {
    const { rows } = await db.pool.query<{ id: number }>(
      `insert into model (kind, file_name, display_name, base_family, nsfw, enabled, available, default_strength_model, source)
       values ($1, $2, $3, $4, $5, true, true, $6, 'manual') returning id`,
      [kind, fileName, fileName.replace(/\.[^.]+$/, ''), extra.baseFamily ?? 'sdxl', extra.nsfw ?? false, extra.strength ?? null],
    );
    return { id: rows[0]!.id, fileName };
  };
  return {
    checkpoint: await insert('checkpoint', 'sdxl_base.safetensors'),
    nsfwCheckpoint: await insert('checkpoint', 'after_dark.safetensors', { nsfw: true }),
    lora: await insert('lora', 'watercolor.safetensors', { strength: 0.8 }),
  };
}

/**
 * The whole bot side against stand-ins: a fresh migrated database, sim/discord, (sim/comfyui),
 * pg-boss as producer, commands registered, models seeded, and the real bot logged in.
 */
export async function startE2E(opts: E2EOptions = {}): Promise<E2E> {
  const logger = opts.logger ?? createLogger({ level: process.env.E2E_LOG_LEVEL ?? 'silent' });
  const db = await createTestDatabase();
  const sim = await startDiscordSim(opts.discord);
  const cleanups: (() => Promise<unknown>)[] = [() => db.drop(), () => sim.close()];
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      for (const cleanup of [...cleanups].reverse()) await cleanup().catch(() => {});
    })());
  try {
    const comfy = opts.comfy
      ? await startComfySim({ models: { checkpoints: ['sdxl_base.safetensors', 'after_dark.safetensors'], loras: ['watercolor.safetensors'] } })
      : undefined;
    if (comfy) cleanups.push(() => comfy.close());
    const boss = await startBoss(db.url, { supervise: false });
    cleanups.push(() => boss.stop({ graceful: false }));
    // A guild of our own with a normal and an age-restricted channel (nsfw models only in the latter).
    const playGuild = sim.addGuild({ name: 'Play', channels: [{ name: 'gen' }, { name: 'after-dark', nsfw: true }], roles: opts.guildRoles });
    await registerCommands({
      token: sim.token, applicationId: sim.applicationId, apiBase: sim.apiBase, guildId: opts.globalCommands ? undefined : playGuild.id,
    });
    const models = opts.seedModels === false ? undefined : await seedModels(db);
    const imageSetup = opts.images ? await opts.images(db) : { storageDir: await mkdtemp(path.join(tmpdir(), 'gn-e2e-bot-images-')), baseUrl: 'http://127.0.0.1:8787' };
    const images = { storage: new LocalStorage(imageSetup.storageDir), links: new ImageLinks({ db: asDb(db.pool), ttlSeconds: 600, baseUrl: imageSetup.baseUrl }) };
    const bot = await startBot({
      token: sim.token, applicationId: sim.applicationId, apiBase: sim.apiBase, pool: db.pool, boss, logger, waitGuildTimeoutMs: 1_000, deferAfterMs: opts.deferAfterMs,
      limits: opts.limits, limitClock: opts.limitClock, images, ...(opts.imageInput ? { imageInput: opts.imageInput } : {}), ...(opts.botMetrics ? { metricsListen: { host: '127.0.0.1', port: 0 } } : {}),
    });
    cleanups.push(() => bot.stop());
    await sim.waitForBot();
    const channel = playGuild.channels[0]!;
    const nsfwChannel = playGuild.channels[1]!;
    return {
      db, boss, sim, comfy, bot, guild: playGuild, channel, nsfwChannel, models, stop,
      playUser(user = sim.addUser()) {
        const base = (where?: Where) => ({
          user, guild: playGuild, channel: where?.channel ?? channel, memberRoles: where?.roles, ...(where?.permissions !== undefined ? { memberPermissions: where.permissions.toString() } : {}),
        });
        return {
          user,
          imagine: (options, where) => played(sim.sendCommand({ ...base(where), name: 'imagine', options: toOptions(options) })),
          command: (name, options, where) => played(sim.sendCommand({ ...base(where), name, options: toOptions(options) })),
          click: (message, customId, o = {}) => {
            const where = { channel: playGuild.channels.find((c) => c.id === message.channel_id), permissions: o.permissions, roles: o.roles };
            return played(sim.sendComponent({ ...base(where), message, customId, componentType: o.componentType }));
          },
          autocomplete: (focused, typed, options, where) =>
            played(sim.sendAutocomplete({ ...base(where), name: 'imagine', options: toOptions(options), focused, focusedValue: typed })),
          submitModal: (customId, fields, where) => played(sim.sendModalSubmit({ ...base(where), customId, fields })),
        };
      },
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
