import type { RateLimitData } from '@discordjs/rest';
import { quietingErrorLog } from '#shared/error-episodes.ts';
import type { Logger } from '#shared/logging.ts';

/** Discord's 429s as outages: a run of them is a few lines with a count, not one line each. */
export function discordRateLimitLog(logger: Logger): (info: RateLimitData) => void {
  const log = quietingErrorLog(logger, 'Discord rate limiting', 'discord_rate_limit', 5_000);
  return (info) => log({ route: info.route, retryAfter: info.retryAfter, global: info.global });
}
