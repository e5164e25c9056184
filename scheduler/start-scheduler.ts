import type { PgBoss } from 'pg-boss';
import type { RoleConfig } from '#shared/config.ts';
import { asDb, createPool, openConnections } from '#shared/db/pool.ts';
import { listInstances, seedInstances, type InstanceRow } from '#shared/db/sql/instances.ts';
import type { Logger } from '#shared/logging.ts';
import { startBoss } from '#shared/queue/boss.ts';
import { queueDefinitions } from '#shared/queue/queues.ts';
import { createDiscordRest, createInteractionRest } from '#shared/discord/rest.ts';
import { imageLinksFromConfig } from '#shared/images/image-links.ts';
import { openStorage } from '#shared/storage/create-storage.ts';
import type { ImageStorage } from '#shared/storage/storage.ts';
import { defaultRecentWritesLimits, RecentWrites } from '#shared/storage/recent-writes.ts';
import { isThumbnailKey } from '#shared/storage/keys.ts';
import type { GenerateContext, JobDefinition, SchedulerTestHooks } from './context.ts';
import { InstancePool } from './comfy/instance-pool.ts';
import { loadInstanceAuthorizations, storeConfiguredAuthorizations } from '#shared/comfyui/instance-access.ts';
import { generatePollMs, IdleWorkers } from './generation/idle-workers.ts';
import { SlotSignal } from './generation/slot-signal.ts';
import { cleanupJob } from './jobs/cleanup.ts';
import { deliverJob } from './jobs/deliver.ts';
import { PlacedHere } from './generation/placed-here.ts';
import { discoverModelsJob, runDiscovery } from './jobs/discover-models.ts';
import { generateDeadJob } from './jobs/generate-dead.ts';
import { generateJob } from './jobs/generate.ts';
import { instanceHealthJob } from './jobs/instance-health.ts';
import { lineUpdateJob } from './jobs/line-update.ts';
import { reapStuckJob } from './jobs/reap-stuck.ts';
import { keepReplyIdsJob } from './jobs/keep-reply-ids.ts';
import { thumbnailJob } from './jobs/thumbnail.ts';
import { registerJob } from './register-job.ts';
import { createSchedulerMetrics } from './metrics.ts';
import { startSchedulerMetricsServer } from './metrics-server.ts';
import { watchDiscordRest } from '#shared/observability/registry.ts';
import type { RunningMetricsServer } from '#shared/observability/metrics-server.ts';

/** How long the thumbnails enqueued by deliveries gather before a worker is woken for them. */
const thumbnailGatherMs = 250;
/** How long the scheduler keeps an idle database connection open (pg's default is 10 s). */
const schedulerIdleConnectionMs = 5 * 60_000;

export const schedulerJobs = [generateJob, generateDeadJob, thumbnailJob, deliverJob, cleanupJob, instanceHealthJob, reapStuckJob, keepReplyIdsJob, discoverModelsJob, lineUpdateJob];

export interface RunningScheduler {
  boss: PgBoss;
  context: GenerateContext;
  /**
   * The first model discovery pass, started with the scheduler (when schedules run). Never rejects:
   * a failure is logged and the cron tries again. Resolves at once when there is none.
   */
  firstDiscovery: Promise<void>;
  /** Where `/metrics`, `/healthz` and `/readyz` answer; undefined when the listener is off. */
  metricsUrl: string | undefined;
  stop(opts?: { graceful?: boolean }): Promise<void>;
}

export interface StartSchedulerOptions {
  config: RoleConfig<'scheduler'>;
  logger: Logger;
  /** Where images go; by default the one the configuration names (`openStorage`), checked usable first. */
  storage?: ImageStorage;
  /** Run pg-boss cron schedules (cleanup, health, reaper). Tests turn it off and call jobs directly. */
  schedules?: boolean;
  /** The metrics listener; default METRICS_HOST and SCHEDULER_METRICS_PORT (0 = none). Tests pass port 0 to get a free one. */
  metricsListen?: { host: string; port: number } | null;
  __test__?: SchedulerTestHooks;
}

export async function startScheduler(opts: StartSchedulerOptions): Promise<RunningScheduler> {
  const { config, logger } = opts;
  // What a success stores, its delivery and thumbnail job read back moments later: from memory. The
  // thumbnails themselves are never read here (the admin API serves them).
  const storage = new RecentWrites(opts.storage ?? (await openStorage(config)), defaultRecentWritesLimits, (key) => !isThumbnailKey(key));
  // Connections stay open through a lull of minutes, not seconds: a new one prepares every statement
  // again (the success statement alone takes ~5 ms to plan, several times per connection).
  const pool = createPool(config.DATABASE_URL, { max: 20, idleTimeoutMillis: schedulerIdleConnectionMs });
  const db = asDb(pool);
  await db.executeSql(seedInstances(config.COMFYUI_URLS).text, seedInstances(config.COMFYUI_URLS).values);
  await storeConfiguredAuthorizations(db, config.COMFYUI_AUTHORIZATIONS);
  const instances = (await db.executeSql<InstanceRow>(listInstances().text, [])).rows.filter((i) => i.enabled);
  // Each generate worker runs one generation at a time. By default one process can fill every slot of
  // the farm; with several processes, SCHEDULER_GENERATE_CONCURRENCY keeps each from holding a worker
  // (and a job) per slot when only their sum needs to cover the slots.
  const farmSlots = Math.max(2, instances.reduce((sum, i) => sum + i.maxQueueDepth, 0));
  const generateConcurrency = config.SCHEDULER_GENERATE_CONCURRENCY || farmSlots;

  // Claims are short and wait for nothing but a queued row's brief lock; a few connections serve a
  // process's workers (claimPool in context.ts), never closed while idle.
  const claimPool = createPool(config.DATABASE_URL, { max: 4, idleTimeoutMillis: 0 });
  await openConnections(claimPool);
  const slots = new SlotSignal(config.DATABASE_URL, logger);
  await slots.listen();
  const boss = await startBoss(config.DATABASE_URL, { logger, supervise: true, schedule: opts.schedules ?? true, max: 10, idleTimeoutMillis: schedulerIdleConnectionMs });
  // Wired before any worker starts, so the first jobs already wake each other.
  // A signal no slot waiter takes (new work, a freed slot) makes one idle generate worker fetch.
  const idleGenerateWorkers = new IdleWorkers(boss, 'generate');
  slots.fetcher = () => void idleGenerateWorkers.wakeOne();
  // Deliver jobs our statements announce on deliverChannel make one idle deliver worker fetch (or,
  // all being busy, one fetch again right after its batch).
  const idleDeliverWorkers = new IdleWorkers(boss, 'deliver', { behindBusy: true });
  slots.deliverFetcher = () => void idleDeliverWorkers.wakeOne();
  // Thumbnails a delivery batch enqueued (the queue sends no NOTIFY) likewise, a moment later, so
  // that the deliveries of that moment share one fetch (thumbnails are not what a member waits for).
  const idleThumbnailWorkers = new IdleWorkers(boss, 'thumbnail', { behindBusy: true });
  const context: GenerateContext = {
    config,
    logger,
    pool,
    db,
    boss,
    storage,
    imageLinks: imageLinksFromConfig(config, db),
    discord: createDiscordRest(config.DISCORD_API_BASE, config.DISCORD_TOKEN),
    discordInteractions: createInteractionRest(config.DISCORD_API_BASE),
    metrics: createSchedulerMetrics(db, logger),
    wakeThumbnailWorker: () => idleThumbnailWorkers.wakeOneSoon(thumbnailGatherMs),
    instances: new InstancePool(logger, await loadInstanceAuthorizations(db)),
    generateConcurrency,
    slots,
    placedHere: new PlacedHere(),
    claimPool,
    ...(opts.__test__ ? { __test__: opts.__test__ } : {}),
  };
  for (const job of schedulerJobs) await registerJob(context, job as JobDefinition<never> & { name: never });
  // The safety net for work nobody announced (a retry's delay ending, a lost NOTIFY): one idle worker
  // of this process fetches every generatePollMs, instead of each worker polling on its own.
  const generatePoll = setInterval(() => void idleGenerateWorkers.wakeOne(), generatePollMs);
  generatePoll.unref();
  if (opts.schedules ?? true) {
    for (const def of queueDefinitions) if (def.cron && schedulerJobs.some((j) => j.name === def.name)) await boss.schedule(def.name, def.cron, {}, { tz: 'UTC' });
  }
  // Know the models (and which instance has which) right away instead of at the next cron tick; run
  // here rather than queued so that whoever starts the scheduler can wait for it (scripts/start.ts).
  const startup = new AbortController();
  const firstDiscovery = opts.schedules ?? true
    ? runDiscovery(context, logger.child({ task: 'startup-discovery' }), startup.signal).then(
        () => {},
        (err: unknown) => {
          if (!startup.signal.aborted) logger.warn({ err }, 'startup model discovery failed; the next scheduled pass retries it');
        },
      )
    : Promise.resolve();
  watchDiscordRest(context.metrics.registry, context.discord, context.discordInteractions);
  const listen = opts.metricsListen === undefined ? (config.SCHEDULER_METRICS_PORT ? { host: config.METRICS_HOST, port: config.SCHEDULER_METRICS_PORT } : null) : opts.metricsListen;
  const metricsServer: RunningMetricsServer | undefined = listen ? await startSchedulerMetricsServer(context, listen) : undefined;
  logger.info({ instances: instances.map((i) => i.baseUrl), generateConcurrency, farmSlots }, 'scheduler started');

  return {
    boss,
    context,
    firstDiscovery,
    metricsUrl: metricsServer?.url,
    async stop({ graceful = true } = {}) {
      startup.abort();
      clearInterval(generatePoll);
      idleThumbnailWorkers.stop();
      slots.stopServing();
      await metricsServer?.close();
      await firstDiscovery;
      await boss.stop({ graceful, timeout: 10_000 });
      await slots.close();
      await context.instances.close();
      await claimPool.end();
      await pool.end();
    },
  };
}
