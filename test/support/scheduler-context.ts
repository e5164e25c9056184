import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { PgBoss } from 'pg-boss';
import { parseConfig } from '#shared/config.ts';
import { asDb } from '#shared/db/pool.ts';
import { createDiscordRest, createInteractionRest } from '#shared/discord/rest.ts';
import { imageLinksFromConfig } from '#shared/images/image-links.ts';
import { createLogger } from '#shared/logging.ts';
import { LocalStorage } from '#shared/storage/local-storage.ts';
import type { JobHelpers } from '#scheduler/context.ts';
import { InstancePool } from '#scheduler/comfy/instance-pool.ts';
import { PlacedHere } from '#scheduler/generation/placed-here.ts';
import { SlotSignal } from '#scheduler/generation/slot-signal.ts';
import type { GenerateContext } from '#scheduler/context.ts';
import { createSchedulerMetrics } from '#scheduler/metrics.ts';
import type { TestDatabase } from './testDatabase.ts';

export const testLogger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/** A scheduler context for calling job handlers directly (no pg-boss workers). */
export async function createSchedulerContext(opts: {
  tdb: TestDatabase;
  boss: PgBoss;
  discord: { apiBase: string; token: string; applicationId: string };
  comfyUrls?: string[];
  env?: Record<string, string>;
}): Promise<GenerateContext> {
  const storageDir = await mkdtemp(path.join(tmpdir(), 'gn-store-'));
  const config = parseConfig('scheduler', {
    DATABASE_URL: opts.tdb.url,
    DISCORD_TOKEN: opts.discord.token,
    DISCORD_APPLICATION_ID: opts.discord.applicationId,
    DISCORD_API_BASE: opts.discord.apiBase,
    COMFYUI_URLS: (opts.comfyUrls ?? ['http://127.0.0.1:9']).join(','),
    STORAGE_DIR: storageDir,
    ...opts.env,
  });
  return {
    config,
    logger: testLogger,
    pool: opts.tdb.pool,
    db: asDb(opts.tdb.pool),
    boss: opts.boss,
    storage: new LocalStorage(storageDir),
    imageLinks: imageLinksFromConfig(config, asDb(opts.tdb.pool)),
    discord: createDiscordRest(opts.discord.apiBase, opts.discord.token),
    discordInteractions: createInteractionRest(opts.discord.apiBase),
    metrics: createSchedulerMetrics(asDb(opts.tdb.pool), testLogger),
    instances: new InstancePool(testLogger),
    generateConcurrency: 2,
    // Not listening: waits last their fallback timeout (no connection to close in these tests).
    slots: new SlotSignal(opts.tdb.url, testLogger),
    placedHere: new PlacedHere(),
    // The test database's pool: nothing extra to close.
    claimPool: opts.tdb.pool,
  };
}

export function jobHelpers(): JobHelpers {
  return { logger: testLogger, jobId: 'test-job', signal: new AbortController().signal, retryCount: 0 };
}
