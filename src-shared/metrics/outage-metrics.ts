import { Counter, register, type Registry } from 'prom-client';
import type { FailureVerdict } from '../failure-episode.ts';

/** Where an outage was seen; one label value each (see README "Outages"). */
export type OutageSource = 'comfyui_http' | 'comfyui_websocket' | 'postgres_listen' | 'pg_boss' | 'discord_rate_limit' | 'storage';

// On prom-client's default registry; registerOutageMetrics adds them to a role's registry too.
function counter(name: string, help: string, into: Registry): Counter<'source'> {
  return (into.getSingleMetric(name) as Counter<'source'> | undefined) ?? new Counter({ name, help, labelNames: ['source'], registers: [into] });
}

const episodesName = 'genonaut_outage_episodes_total';
const failuresName = 'genonaut_outage_failures_total';
const episodes = counter(episodesName, 'Outages begun (a first failure after success), by source', register);
const failures = counter(failuresName, 'Failures during outages (each failed request, reconnect or write), by source', register);

/**
 * Adds the outage counters to a role's own registry (e.g. right after `roleRegistry('scheduler')`),
 * so its /metrics serves them. The counts are the process's: with every role in one process
 * (`npm start`), register them with one role only. Idempotent per registry.
 */
export function registerOutageMetrics(into: Registry): void {
  if (!into.getSingleMetric(episodesName)) into.registerMetric(episodes);
  if (!into.getSingleMetric(failuresName)) into.registerMetric(failures);
}

/** Counts one failure of `source`, and a new episode when the tracker says one started. */
export function countOutageFailure(source: OutageSource, verdict: Pick<FailureVerdict, 'report'>): void {
  failures.inc({ source });
  if (verdict.report === 'started') episodes.inc({ source });
}
