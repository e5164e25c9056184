import { describe, expect, test } from 'vitest';
import { episodeLength, FailureEpisode } from '#shared/failure-episode.ts';

describe('FailureEpisode', () => {
  test('an outage is reported when it starts, reminded at most once a period, and ends with its length and count', () => {
    let now = 0;
    const episode = new FailureEpisode({ remindEveryMs: 30_000, now: () => now });
    expect(episode.success()).toBeUndefined();
    expect(episode.failure()).toEqual({ report: 'started' });
    expect(episode.failing).toBe(true);
    const verdicts = [];
    for (let i = 0; i < 221; i++) {
      now += 280; // 221 more failures over ~62 s
      verdicts.push(episode.failure().report);
    }
    expect(verdicts.filter((v) => v === 'ongoing')).toHaveLength(2);
    expect(verdicts.filter((v) => v === 'started')).toHaveLength(0);
    expect(episode.success()).toEqual({ failures: 222, forMs: 221 * 280 });
    expect(episode.failing).toBe(false);
    expect(episode.success()).toBeUndefined();
  });

  test('a new outage after a recovery starts afresh', () => {
    let now = 1000;
    const episode = new FailureEpisode({ now: () => now });
    episode.failure();
    now += 10;
    episode.success();
    now += 5000;
    expect(episode.failure()).toEqual({ report: 'started' });
    now += 2000;
    expect(episode.failure()).toEqual({ report: 'quiet', failures: 2 });
    expect(episode.success()).toEqual({ failures: 2, forMs: 2000 });
  });

  test('lengths read as an operator would say them', () => {
    expect(episodeLength(850)).toBe('850 ms');
    expect(episodeLength(62_400)).toBe('62 s');
  });
});
