import { existsSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseConfig } from '#shared/config.ts';
import { createLogger } from '#shared/logging.ts';
import { startScheduler, type RunningScheduler } from '#scheduler/start-scheduler.ts';
import type { DiscordSim } from '#sim/discord/index.ts';
import type { NewGeneration } from '#shared/db/repositories/generation-repository.ts';
import { newGeneration } from '../../test/support/scheduler-harness.ts';

export const benchLogger = createLogger({ level: process.env.BENCH_LOG_LEVEL ?? 'silent' });

// Temporary files (the stand-ins' outputs, image storage) go to memory (/dev/shm) where the machine
// has it, or to BENCH_TMPDIR. This machine's disk is ext4 without a journal: making a file there
// passes over every inode freed in the last minute or more, and each phase's stand-ins remove their
// files when they close, so whichever side ran next paid for the one before it (the scheduler's
// file writes cost 2.3 ms of kernel time per generation right after such a removal, 0.5 ms without).
const benchTmp = process.env.BENCH_TMPDIR ?? (existsSync('/dev/shm') ? '/dev/shm' : undefined);
if (benchTmp) process.env.TMPDIR = benchTmp;

const leftBehind = new Set<string>();

/** Removes `folder` when this process exits, after everything was measured. */
export function removeAtExit(folder: string): string {
  if (leftBehind.size === 0) process.once('exit', () => leftBehind.forEach((f) => rmSync(f, { recursive: true, force: true })));
  leftBehind.add(folder);
  return folder;
}

export async function schedulerEnvFor(databaseUrl: string, discord: DiscordSim, comfyUrls: string[]) {
  const storage = removeAtExit(await mkdtemp(path.join(tmpdir(), 'gn-bench-')));
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

export function newGenerationFor(discord: DiscordSim, userId: string, overrides: Partial<NewGeneration> = {}): NewGeneration {
  return newGeneration(discord, { userId, prompt: `bench ${Math.random()}`, negativePrompt: '', seed: String(Math.floor(Math.random() * 1e15)), ...overrides });
}

export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 60_000, everyMs = 5): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
