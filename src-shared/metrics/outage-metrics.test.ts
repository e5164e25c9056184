import { register, Registry } from 'prom-client';
import { expect, test } from 'vitest';
import { FailureEpisode } from '../failure-episode.ts';
import { countOutageFailure, registerOutageMetrics } from './outage-metrics.ts';

const value = async (name: string, source: string) =>
  (await register.getSingleMetric(name)!.get()).values.find((v) => v.labels.source === source)?.value ?? 0;

test('an episode of three failures counts one episode and three failures; the next outage is a second episode', async () => {
  let now = 0;
  const episode = new FailureEpisode({ now: () => now });
  for (let i = 0; i < 3; i++, now += 100) countOutageFailure('storage', episode.failure());
  expect(await value('genonaut_outage_episodes_total', 'storage')).toBe(1);
  expect(await value('genonaut_outage_failures_total', 'storage')).toBe(3);
  episode.success();
  countOutageFailure('storage', episode.failure());
  expect(await value('genonaut_outage_episodes_total', 'storage')).toBe(2);
  expect(await value('genonaut_outage_episodes_total', 'pg_boss')).toBe(0);
});

test('a role registry serves the same counts once registered (twice is harmless)', async () => {
  const role = new Registry();
  registerOutageMetrics(role);
  registerOutageMetrics(role);
  countOutageFailure('pg_boss', { report: 'started' });
  expect(await role.getSingleMetricAsString('genonaut_outage_episodes_total')).toMatch(/source="pg_boss"\} 1/);
});
