import type { Client } from 'discord.js';
import type { Db } from '#shared/db/pool.ts';
import type { Logger } from '#shared/logging.ts';
import { probe, startMetricsServer, type RunningMetricsServer } from '#shared/observability/metrics-server.ts';
import type { BotMetrics } from './metrics.ts';

/**
 * The bot's /metrics, /healthz and /readyz. Ready = the gateway session is ready (it can receive
 * interactions) and Postgres answers (it can store them). A port already taken is logged, not fatal.
 */
export async function startBotMetricsServer(
  deps: { client: Client; db: Db; metrics: BotMetrics; logger: Logger },
  listen: { host: string; port: number },
): Promise<RunningMetricsServer | undefined> {
  const readiness = async () => {
    const gateway = deps.client.isReady() ? 'ok' : 'down';
    const database = await probe(async () => {
      await deps.db.executeSql('select 1');
      return 'ok';
    }, 2000);
    return { ready: gateway === 'ok' && database === 'ok', checks: { gateway, database } } as const;
  };
  try {
    return await startMetricsServer({ ...listen, registry: deps.metrics.registry, readiness, logger: deps.logger });
  } catch (err) {
    deps.logger.error({ err, port: listen.port }, 'metrics listener could not start; the bot runs without /metrics and /readyz');
    return undefined;
  }
}
