import { Gauge, type Registry } from 'prom-client';
import { roleRegistry } from '#shared/observability/registry.ts';
import { generationStatuses } from '#shared/db/entities/generation.ts';
import type { Db } from '#shared/db/pool.ts';
import type { Logger } from '#shared/logging.ts';
import { generationsByStatus, queueDepths } from './sql/observability.ts';

/**
 * The admin API's Prometheus registry: process metrics plus gauges read from Postgres at scrape
 * time (one query each), so every admin-api replica reports the same shared numbers.
 */
export function createMetricsRegistry(db: Db, logger: Logger): Registry {
  const register = roleRegistry('admin-api');

  new Gauge({
    name: 'genonaut_generations',
    help: 'Generation rows by status',
    labelNames: ['status'],
    registers: [register],
    async collect() {
      const { text, values } = generationsByStatus();
      const { rows } = await db.executeSql<{ status: string; count: number }>(text, values);
      const counts = new Map(rows.map((r) => [r.status, r.count]));
      for (const status of generationStatuses) this.set({ status }, counts.get(status) ?? 0);
    },
  });

  new Gauge({
    name: 'genonaut_queue_depth',
    help: 'pg-boss jobs waiting to start (created or retry) per queue',
    labelNames: ['queue'],
    registers: [register],
    async collect() {
      this.reset();
      const { text, values } = queueDepths();
      try {
        const { rows } = await db.executeSql<{ name: string; depth: number }>(text, values);
        for (const row of rows) this.set({ queue: row.name }, row.depth);
      } catch (err) {
        // Before the scheduler has installed pg-boss there are no queues; report none rather than fail the scrape.
        logger.warn({ err }, 'queue depth unavailable');
      }
    },
  });

  return register;
}
