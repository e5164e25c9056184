import { probe, startMetricsServer, type CheckResult, type RunningMetricsServer } from '#shared/observability/metrics-server.ts';
import type { GenerateContext } from './context.ts';
import { schedulerReadiness } from './sql/observability.ts';

/**
 * The scheduler's /metrics, /healthz and /readyz. Ready = Postgres answers, pg-boss is installed and
 * this process's pg-boss is running, and at least one enabled, not draining instance is healthy
 * (without one no work can start). A port already taken is logged, not fatal: metrics are not the work.
 */
export async function startSchedulerMetricsServer(ctx: GenerateContext, listen: { host: string; port: number }): Promise<RunningMetricsServer | undefined> {
  let stopped = false;
  ctx.boss.once('stopped', () => (stopped = true));
  const readiness = async () => {
    const checks: Record<'database' | 'queue' | 'instances', CheckResult> = { database: 'down', queue: 'down', instances: 'down' };
    await probe(async () => {
      const { text, values } = schedulerReadiness();
      const row = (await ctx.db.executeSql<{ bossInstalled: boolean; healthyInstances: number }>(text, values)).rows[0]!;
      checks.database = 'ok';
      checks.queue = !row.bossInstalled ? 'missing' : stopped ? 'down' : 'ok';
      checks.instances = row.healthyInstances > 0 ? 'ok' : 'down';
      return 'ok';
    }, 2000);
    return { ready: Object.values(checks).every((c) => c === 'ok'), checks };
  };
  try {
    return await startMetricsServer({ ...listen, registry: ctx.metrics.registry, readiness, logger: ctx.logger });
  } catch (err) {
    ctx.logger.error({ err, port: listen.port }, 'metrics listener could not start; the scheduler runs without /metrics and /readyz');
    return undefined;
  }
}
