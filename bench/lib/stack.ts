import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseConfig } from '#shared/config.ts';
import { createLogger } from '#shared/logging.ts';
import { startScheduler, type RunningScheduler } from '#scheduler/start-scheduler.ts';
import type { DiscordSim } from '#sim/discord/index.ts';

export const benchLogger = createLogger({ level: process.env.BENCH_LOG_LEVEL ?? 'silent' });

export async function schedulerEnvFor(databaseUrl: string, discord: DiscordSim, comfyUrls: string[]) {
  const storage = await mkdtemp(path.join(tmpdir(), 'gn-bench-'));
  return {
    DATABASE_URL: databaseUrl,
    DISCORD_TOKEN: discord.token,
    DISCORD_APPLICATION_ID: discord.applicationId,
    DISCORD_API_BASE: discord.apiBase,
    COMFYUI_URLS: comfyUrls.join(','),
    STORAGE_DIR: storage,
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'silent',
  };
}

export async function startBenchScheduler(env: Record<string, string>): Promise<RunningScheduler> {
  return startScheduler({ config: parseConfig('scheduler', env), logger: benchLogger, schedules: false });
}

export function newGenerationFor(discord: DiscordSim, userId: string, overrides: Record<string, unknown> = {}) {
  return {
    id: crypto.randomUUID(),
    userId,
    guildId: discord.defaultGuild!.id,
    channelId: discord.defaultGuild!.channels[0]!.id,
    applicationId: discord.applicationId,
    interactionId: null,
    interactionToken: null,
    interactionTokenExpiresAt: null,
    prompt: `bench ${Math.random()}`,
    negativePrompt: '',
    checkpoint: 'base.safetensors',
    loras: [],
    vae: null,
    width: 64,
    height: 64,
    batchSize: 1,
    seed: String(Math.floor(Math.random() * 1e15)),
    steps: 4,
    cfg: 7,
    sampler: 'euler',
    scheduler: 'normal',
    denoise: 1,
    workflowTemplate: 'txt2img',
    parentId: null,
    ...overrides,
  };
}

export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 60_000, everyMs = 5): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
