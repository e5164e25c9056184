import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Db } from '#shared/db/pool.ts';
import type { GenerationRow } from '#shared/db/repositories/generation-repository.ts';
import type { Logger } from '#shared/logging.ts';
import { registerOutageMetrics } from '#shared/metrics/outage-metrics.ts';
import { roleRegistry } from '#shared/observability/registry.ts';
import { instanceHealthNow, oldestWaiting } from './sql/observability.ts';

export type ComfyErrorKind = 'unreachable' | 'execution' | 'health';

export interface SchedulerMetrics {
  registry: Registry;
  /** A generation's ending was delivered: its outcome and its wait and run times. */
  generationEnded(g: GenerationRow): void;
  delivery(kind: string, outcome: 'delivered' | 'error'): void;
  comfyError(instanceId: number, kind: ComfyErrorKind): void;
  job(queue: string, outcome: 'done' | 'failed'): void;
}

const secondsBuckets = [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800];
const endings = ['succeeded', 'failed', 'cancelled'] as const;

/**
 * The scheduler's Prometheus series. Outcomes and times are counted when the ending is delivered,
 * the one step every ending goes through exactly once (also cancellations made by the bot or the
 * admin API); the line's age and instance health are read from Postgres at scrape time.
 */
export function createSchedulerMetrics(db: Db, logger: Logger): SchedulerMetrics {
  const registry = roleRegistry('scheduler');
  // Outage episodes of this process (ComfyUI, PostgreSQL, pg-boss, Discord, storage); the bot has its own Discord series.
  registerOutageMetrics(registry);
  const generations = new Counter({ name: 'genonaut_generations_total', help: 'Generations ended, by outcome (succeeded, failed, cancelled), counted at delivery', labelNames: ['outcome'], registers: [registry] });
  for (const outcome of endings) generations.inc({ outcome }, 0);
  const wait = new Histogram({ name: 'genonaut_queue_wait_seconds', help: 'Time from request to start on a GPU', buckets: secondsBuckets, registers: [registry] });
  const run = new Histogram({ name: 'genonaut_run_seconds', help: 'Time from start on a GPU to the end', labelNames: ['outcome'], buckets: secondsBuckets, registers: [registry] });
  const deliveries = new Counter({ name: 'genonaut_deliveries_total', help: 'Discord deliveries of results, failures and cancellations (attempts), by kind and outcome', labelNames: ['kind', 'outcome'], registers: [registry] });
  const comfyErrors = new Counter({ name: 'genonaut_comfyui_errors_total', help: 'ComfyUI errors by instance id (comfy_instance; Prometheus keeps `instance` for the scrape target) and kind (unreachable, execution, health)', labelNames: ['comfy_instance', 'kind'], registers: [registry] });
  const jobs = new Counter({ name: 'genonaut_jobs_total', help: 'pg-boss jobs worked, by queue and outcome', labelNames: ['queue', 'outcome'], registers: [registry] });

  new Gauge({
    name: 'genonaut_queue_oldest_waiting_seconds',
    help: 'Age of the oldest generation still waiting for a GPU (0 when none waits)',
    registers: [registry],
    async collect() {
      const { text, values } = oldestWaiting();
      this.set((await db.executeSql<{ seconds: number }>(text, values)).rows[0]?.seconds ?? 0);
    },
  });
  new Gauge({
    name: 'genonaut_instance_up',
    help: 'Enabled ComfyUI instances (by id, with their name): 1 when the last health probe succeeded, else 0',
    labelNames: ['comfy_instance', 'name'],
    registers: [registry],
    async collect() {
      this.reset();
      try {
        const { text, values } = instanceHealthNow();
        for (const row of (await db.executeSql<{ id: number; name: string; up: boolean }>(text, values)).rows) this.set({ comfy_instance: String(row.id), name: row.name }, row.up ? 1 : 0);
      } catch (err) {
        logger.warn({ err }, 'instance health unavailable for metrics');
      }
    },
  });

  return {
    registry,
    generationEnded(g) {
      if (!endings.includes(g.status as (typeof endings)[number])) return;
      generations.inc({ outcome: g.status });
      if (g.startedAt) wait.observe(Math.max(0, (g.startedAt.getTime() - g.createdAt.getTime()) / 1000));
      if (g.startedAt && g.finishedAt) run.observe({ outcome: g.status }, Math.max(0, (g.finishedAt.getTime() - g.startedAt.getTime()) / 1000));
    },
    delivery: (kind, outcome) => deliveries.inc({ kind, outcome }),
    comfyError: (instanceId, kind) => comfyErrors.inc({ comfy_instance: String(instanceId), kind }),
    job: (queue, outcome) => jobs.inc({ queue, outcome }),
  };
}
