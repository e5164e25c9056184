import { Counter, register, type Registry } from 'prom-client';
import type { FailureVerdict } from '../failure-episode.ts';

/** Where an outage was seen; one label value each (see README "Outages"). */
export type OutageSource = 'comfyui_http' | 'comfyui_websocket' | 'postgres_listen' | 'pg_boss' | 'discord_rate_limit' | 'storage';

// On prom-client's default registry, which every role's /metrics serves (see README "Outages").
function counter(name: string, help: string, into: Registry): Counter<'source'> {
  return (into.getSingleMetric(name) as Counter<'source'> | undefined) ?? new Counter({ name, help, labelNames: ['source'], registers: [into] });
}

const episodes = counter('genonaut_outage_episodes_total', 'Outages begun (a first failure after success), by source', register);
const failures = counter('genonaut_outage_failures_total', 'Failures during outages (each failed request, reconnect or write), by source', register);

/** Counts one failure of `source`, and a new episode when the tracker says one started. */
export function countOutageFailure(source: OutageSource, verdict: Pick<FailureVerdict, 'report'>): void {
  failures.inc({ source });
  if (verdict.report === 'started') episodes.inc({ source });
}
