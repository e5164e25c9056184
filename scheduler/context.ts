import type pg from 'pg';
import type { PgBoss } from 'pg-boss';
import type { REST } from '@discordjs/rest';
import type { RoleConfig } from '#shared/config.ts';
import type { Db } from '#shared/db/pool.ts';
import type { ImageLinks } from '#shared/images/image-links.ts';
import type { Logger } from '#shared/logging.ts';
import type { ImageStorage } from '#shared/storage/storage.ts';
import type { InstancePool } from './comfy/instance-pool.ts';
import type { PlacedHere } from './generation/placed-here.ts';
import type { SlotSignal } from './generation/slot-signal.ts';
import type { SchedulerMetrics } from './metrics.ts';

/** Everything a job handler may use; built once per scheduler process. */
export interface SchedulerContext {
  config: RoleConfig<'scheduler'>;
  logger: Logger;
  pool: pg.Pool;
  db: Db;
  boss: PgBoss;
  storage: ImageStorage;
  /** Signed links to stored images, for the messages we post. */
  imageLinks: ImageLinks;
  discord: REST;
  /** For interaction-token webhooks only (createInteractionRest: not held to the global limit). */
  discordInteractions: REST;
  /** This process's Prometheus series (scheduler/metrics.ts). */
  metrics: SchedulerMetrics;
  /**
   * Makes one thumbnail worker of this process fetch now (IdleWorkers): the thumbnail queue sends
   * no NOTIFY, and a delivery batch that enqueued thumbnails wakes one instead of leaving them to
   * the queue's poll. Absent where no thumbnail worker runs.
   */
  wakeThumbnailWorker?: () => void;
  /** Test-only knobs (STYLE §14): named so they cannot be mistaken for settings. */
  __test__?: SchedulerTestHooks;
}

/** What the generate job (and jobs that talk to ComfyUI) additionally need. */
export interface GenerateContext extends SchedulerContext {
  instances: InstancePool;
  /** Local parallelism: the sum of the instances' queue depths, so each GPU has its next prompt waiting. */
  generateConcurrency: number;
  /** Wakes workers waiting for a GPU slot when one may have freed or work arrived. */
  slots: SlotSignal;
  /** The generations this process's jobs placed (running or run to their end). */
  placedHere: PlacedHere;
  /**
   * The claims' own few connections, kept open: each connection plans the claim function's steps
   * once (50-130 ms on a busy machine), and claims spread over the main pool's rotating, idle-closed
   * connections paid that on most hand-offs.
   */
  claimPool: pg.Pool;
}

export interface SchedulerTestHooks {
  /** Called at named points of the generate job; a hook may kill the process to simulate a crash. */
  checkpoint?: (name: GenerateCheckpoint, generationId: string) => void | Promise<void>;
}

export type GenerateCheckpoint = 'before-submit' | 'after-submit' | 'mid-run' | 'after-finish' | 'mid-download' | 'after-store';

export interface JobHelpers<B = never> {
  logger: Logger;
  jobId: string;
  signal: AbortSignal;
  retryCount: number;
  /** What the jobs of one fetched batch share (JobDefinition.batch); absent when a job runs alone. */
  batch?: B;
}

/**
 * A batch worker's statements for the whole fetched batch instead of one per job: `start` runs
 * before its jobs (one read for all of them), `end` after all of them ran and before pg-boss
 * completes them (one write for all that succeeded). When `end` throws, the jobs that succeeded
 * fail instead, and are retried like any failure.
 */
export interface BatchHooks<P, B> {
  start(ctx: SchedulerContext, payloads: P[]): Promise<B>;
  end(ctx: SchedulerContext, batch: B): Promise<void>;
}

export interface JobDefinition<P, B = never> {
  name: string;
  /** pg-boss work() options for this queue in this process. */
  workOptions?: (ctx: SchedulerContext) => Record<string, unknown>;
  batch?: BatchHooks<P, B>;
  handle(ctx: SchedulerContext, payload: P, helpers: JobHelpers<B>): Promise<void>;
}
