import type { Config } from '#shared/config.ts';
import type { LimiterSettings } from './limiter.ts';

type LimitConfig = Pick<
  Config,
  | 'LIMIT_IMAGES_PER_MINUTE' | 'LIMIT_IMAGES_PER_HOUR' | 'LIMIT_IMAGES_PER_DAY' | 'LIMIT_MAX_ACTIVE'
  | 'LIMIT_MAX_BATCH' | 'LIMIT_MAX_STEPS' | 'LIMIT_MAX_PIXELS' | 'QUEUE_MAX_WAITING'
>;

/** The limiter's defaults from configuration: they apply wherever no policy row sets a field. */
export function limiterSettingsFrom(c: LimitConfig): LimiterSettings {
  return {
    defaults: {
      perMinute: c.LIMIT_IMAGES_PER_MINUTE,
      perHour: c.LIMIT_IMAGES_PER_HOUR,
      perDay: c.LIMIT_IMAGES_PER_DAY,
      maxActive: c.LIMIT_MAX_ACTIVE,
      maxBatch: c.LIMIT_MAX_BATCH,
      maxSteps: c.LIMIT_MAX_STEPS,
      maxPixels: c.LIMIT_MAX_PIXELS,
      blocked: false,
    },
    maxWaiting: c.QUEUE_MAX_WAITING,
  };
}
