import { Counter, Histogram, type Registry } from 'prom-client';
import { roleRegistry } from '#shared/observability/registry.ts';
import type { HandledInteraction } from './router.ts';

export interface BotMetrics {
  registry: Registry;
  onHandled(handled: HandledInteraction): void;
}

/** The bot's Prometheus series: interaction latency by kind, and commands by outcome. */
export function createBotMetrics(): BotMetrics {
  const registry = roleRegistry('bot');
  const latency = new Histogram({
    name: 'genonaut_interaction_seconds',
    help: 'Time from receiving an interaction to finishing its handling (answer included), by kind',
    labelNames: ['kind'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10],
    registers: [registry],
  });
  const interactions = new Counter({
    name: 'genonaut_interactions_total',
    help: 'Interactions handled, by kind, name (command or button action) and outcome (ok, denied, refused, error)',
    labelNames: ['kind', 'name', 'outcome'],
    registers: [registry],
  });
  return {
    registry,
    onHandled({ kind, name, outcome, seconds }) {
      latency.observe({ kind }, seconds);
      interactions.inc({ kind, name, outcome });
    },
  };
}
