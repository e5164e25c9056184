import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { parseConfig } from '#shared/config.ts';
import { asDb } from '#shared/db/pool.ts';
import { GenerationRepository, type GenerationRow, type NewGeneration } from '#shared/db/repositories/generation-repository.ts';
import { enqueueGeneration, type EnqueuedGeneration } from '#shared/generation/enqueue.ts';
import type { GenerationStatus } from '#shared/generation/status.ts';
import { startScheduler, type RunningScheduler } from '#scheduler/start-scheduler.ts';
import type { SchedulerTestHooks } from '#scheduler/context.ts';
import type { DiscordSim } from '#sim/discord/index.ts';
import { generationInput } from './generation-fixture.ts';
import { testLogger } from './scheduler-context.ts';
import type { TestDatabase } from './testDatabase.ts';
import type { Logger } from '#shared/logging.ts';

export interface SchedulerHarness {
  scheduler: RunningScheduler;
  repo: GenerationRepository;
  storageDir: string;
  env: Record<string, string>;
  enqueue(overrides?: Partial<NewGeneration>): Promise<EnqueuedGeneration>;
  waitFor(id: string, statuses: GenerationStatus[], opts?: { timeoutMs?: number; delivered?: boolean }): Promise<GenerationRow>;
  stop(): Promise<void>;
}

/** Environment for a scheduler process (in-process or child) against the test database and stand-ins. */
export function schedulerEnv(tdb: TestDatabase, discord: DiscordSim, comfyUrls: string[], storageDir: string, extra: Record<string, string> = {}) {
  return {
    DATABASE_URL: tdb.url,
    DISCORD_TOKEN: discord.token,
    DISCORD_APPLICATION_ID: discord.applicationId,
    DISCORD_API_BASE: discord.apiBase,
    COMFYUI_URLS: comfyUrls.join(','),
    STORAGE_DIR: storageDir,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...extra,
  };
}

export function newGeneration(discord: DiscordSim, overrides: Partial<NewGeneration> = {}): NewGeneration {
  return generationInput({
    userId: discord.defaultUser!.id,
    guildId: discord.defaultGuild!.id,
    channelId: discord.defaultGuild!.channels[0]!.id,
    applicationId: discord.applicationId,
    negativePrompt: 'blurry',
    ...overrides,
  });
}

export async function startSchedulerHarness(opts: {
  tdb: TestDatabase;
  discord: DiscordSim;
  comfyUrls: string[];
  env?: Record<string, string>;
  __test__?: SchedulerTestHooks;
  /** Default: the silent test logger (capture lines with test/support/log-capture.ts). */
  logger?: Logger;
  /** Serve /metrics and /readyz on a free loopback port (scheduler.metricsUrl); off by default. */
  metrics?: boolean;
}): Promise<SchedulerHarness> {
  const storageDir = await mkdtemp(path.join(tmpdir(), 'gn-sched-'));
  const env = schedulerEnv(opts.tdb, opts.discord, opts.comfyUrls, storageDir, opts.env);
  const config = parseConfig('scheduler', env);
  const scheduler = await startScheduler({ config, logger: opts.logger ?? testLogger, schedules: false, metricsListen: opts.metrics ? { host: '127.0.0.1', port: 0 } : null, ...(opts.__test__ ? { __test__: opts.__test__ } : {}) });
  const repo = new GenerationRepository(asDb(opts.tdb.pool));
  return {
    scheduler,
    repo,
    storageDir,
    env,
    enqueue: (overrides = {}) => enqueueGeneration(opts.tdb.pool, scheduler.boss, newGeneration(opts.discord, overrides)),
    waitFor: (id, statuses, o) => waitForGeneration(repo, id, statuses, o),
    stop: () => scheduler.stop({ graceful: false }),
  };
}

/** Polls the row until it reaches one of `statuses` (and is delivered, if asked). */
export async function waitForGeneration(
  repo: GenerationRepository,
  id: string,
  statuses: GenerationStatus[],
  { timeoutMs = 15_000, delivered = false }: { timeoutMs?: number; delivered?: boolean } = {},
): Promise<GenerationRow> {
  const deadline = Date.now() + timeoutMs;
  let row = await repo.get(id);
  while (!(statuses.includes(row.status) && (!delivered || row.deliveredAt))) {
    if (Date.now() > deadline) {
      throw new Error(`generation ${id} is ${row.status}${row.deliveredAt ? ' (delivered)' : ''}, expected ${statuses.join('|')}${delivered ? ' and delivered' : ''}; error: ${row.errorMessage}`);
    }
    await delay(25);
    row = await repo.get(id);
  }
  return row;
}
