import type Router from '@koa/router';
import type { Registry } from 'prom-client';
import type { Db } from '#shared/db/pool.ts';
import type { Logger } from '#shared/logging.ts';
import type { ImageStorage } from '#shared/storage/storage.ts';
import { newRouter, publicRoute } from '../routing.ts';
import { readinessProbe } from '../sql/observability.ts';

export interface HealthRouterDeps {
  db: Db;
  metrics: Registry;
  logger: Logger;
  /** How long /readyz waits for Postgres before answering 503. */
  readyTimeoutMs: number;
  /** Image storage: /readyz also reports whether it can be reached (one cheap probe, e.g. S3 HeadBucket). */
  storage?: ImageStorage;
}

type CheckResult = 'ok' | 'down' | 'missing';

/** `/healthz` (process alive), `/readyz` (Postgres, pg-boss and image storage usable), `/metrics` (Prometheus). The only public routes. */
export function healthRouter({ db, metrics, logger, readyTimeoutMs, storage }: HealthRouterDeps): Router {
  const router = newRouter();

  router.get('/healthz', publicRoute, (ctx) => {
    ctx.body = { status: 'ok', uptimeSeconds: Math.round(process.uptime()) };
  });

  router.get('/readyz', publicRoute, async (ctx) => {
    const checks: { database: CheckResult; queue: CheckResult; storage?: CheckResult } = { database: 'down', queue: 'down' };
    const storageProbe = storage?.probe ? withTimeout(storage.probe(), readyTimeoutMs).then(
      () => 'ok' as const,
      (err: unknown) => {
        logger.warn({ err }, 'readiness check: image storage not reachable');
        return 'down' as const;
      },
    ) : undefined;
    try {
      const { text, values } = readinessProbe();
      const { rows } = await withTimeout(db.executeSql<{ ok: number; bossInstalled: boolean }>(text, values), readyTimeoutMs);
      checks.database = 'ok';
      checks.queue = rows[0]?.bossInstalled ? 'ok' : 'missing';
    } catch (err) {
      logger.warn({ err }, 'readiness check failed');
    }
    if (storageProbe) checks.storage = await storageProbe;
    const ready = checks.database === 'ok' && checks.queue === 'ok' && checks.storage !== 'down';
    ctx.status = ready ? 200 : 503;
    ctx.body = { status: ready ? 'ready' : 'not_ready', checks };
  });

  router.get('/metrics', publicRoute, async (ctx) => {
    ctx.type = metrics.contentType;
    ctx.body = await metrics.metrics();
  });

  return router;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
