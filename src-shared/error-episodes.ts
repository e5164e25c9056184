import { episodeLength, FailureEpisode } from './failure-episode.ts';
import type { Logger } from './logging.ts';
import { countOutageFailure, type OutageSource } from './metrics/outage-metrics.ts';

/**
 * For error sources that report failures but never a success (pg-boss's 'error' event): an episode
 * ends after `quietMs` without an error. The first error is logged at error level, then a reminder
 * a minute with the count, then one "recovered" line.
 */
export function quietingErrorLog(logger: Logger, what: string, source: OutageSource, quietMs = 10_000): (err: unknown) => void {
  const episode = new FailureEpisode();
  let timer: NodeJS.Timeout | undefined;
  return (err) => {
    const verdict = episode.failure();
    countOutageFailure(source, verdict);
    if (verdict.report === 'started') logger.error({ err }, `${what} failing (further errors counted; one line when it recovers)`);
    else if (verdict.report === 'ongoing') logger.error({ err, errors: verdict.failures }, `${what} still failing after ${episodeLength(verdict.forMs)}, ${verdict.failures} errors`);
    else logger.debug({ err }, `${what} error`);
    clearTimeout(timer);
    timer = setTimeout(() => {
      const ended = episode.success();
      if (ended) logger.warn({ errors: ended.failures }, `${what} failing for ${episodeLength(ended.forMs)}, ${ended.failures} errors, recovered`);
    }, quietMs);
    timer.unref();
  };
}
