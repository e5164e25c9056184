import type pg from 'pg';
import type { PgBoss } from 'pg-boss';
import type { Db } from '#shared/db/pool.ts';
import type { ImageLinks } from '#shared/images/image-links.ts';
import type { ImageStorage } from '#shared/storage/storage.ts';
import type { GenerationEnqueuer } from '#shared/generation/enqueuer.ts';
import type { Limiter } from '#shared/limits/limiter.ts';
import type { Logger } from '#shared/logging.ts';
import type { ImageInputSettings } from './images/image-input.ts';

/** What every handler may use; handed in by start-bot, never imported as a global. */
export interface BotContext {
  pool: pg.Pool;
  db: Db;
  /** Producer only: the bot sends jobs, the scheduler works them. */
  boss: PgBoss;
  /** Row + job in one transaction; concurrent requests share transactions. */
  enqueuer: GenerationEnqueuer;
  /** The same limiter the enqueuer checks with; /quota reads it. */
  limiter: Limiter;
  logger: Logger;
  applicationId: string;
  /** Defer a reply whose work takes longer than this (see respond/reply-in-time.ts). */
  deferAfterMs: number;
  /** Stored images and signed links, for ◀ ▶ on a result (the scheduler's storage and link settings). */
  images: { storage: ImageStorage; links: ImageLinks };
  /** Pictures to start from: size caps and the strengths of 🔀 vary and ⬆ upscale. */
  imageInput: ImageInputSettings;
}
