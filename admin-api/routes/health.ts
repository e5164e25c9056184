import type Router from '@koa/router';
import type { Registry } from 'prom-client';
import type { Db } from '#shared/db/pool.ts';
import { readStorageHealth, type StorageHealthRow } from '#shared/db/sql/storage-health.ts';
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

/**
 * `/healthz` (process alive), `/readyz` (Postgres and pg-boss usable, image storage reachable from here;
 * storage's write health as the schedulers last saw it), `/metrics` (Prometheus). The only public routes.
 */
export function healthRouter({ db, metrics, logger, readyTimeoutMs, storage }: HealthRouterDeps): Router {
  const router = newRouter();

  router.get('/healthz', publicRoute, (ctx) => {
    ctx.body = { status: 'ok', uptimeSeconds: Math.round(process.uptime()) };
  });

  router.get('/readyz', publicRoute, async (ctx) => {
    const checks: { database: CheckResult; queue: CheckResult; storage: 'ok' | 'failing' | 'down' } = { database: 'down', queue: 'down', storage: 'down' };
    let storageFailingSince: Date | null = null;
    const storageProbe = storage?.probe
      ? withTimeout(storage.probe(), readyTimeoutMs).then(
          () => 'ok' as const,
          (err: unknown) => {
            logger.warn({ err }, 'readiness check: image storage not reachable');
            return 'down' as const;
          },
        )
      : Promise.resolve('ok' as const);
    try {
      const { text, values } = readinessProbe();
      const { rows } = await withTimeout(db.executeSql<{ ok: number; bossInstalled: boolean }>(text, values), readyTimeoutMs);
      checks.database = 'ok';
      checks.queue = rows[0]?.bossInstalled ? 'ok' : 'missing';
      const health = readStorageHealth();
      storageFailingSince = (await withTimeout(db.executeSql<StorageHealthRow>(health.text, health.values), readyTimeoutMs)).rows[0]?.failingSince ?? null;
      checks.storage = storageFailingSince ? 'failing' : 'ok';
    } catch (err) {
      logger.warn({ err }, 'readiness check failed');
    }
    // Failing image writes hold GPU intake but this API still serves what is stored: reported, not "not ready".
    // Storage this process cannot reach at all is: it could serve nothing.
    const reachable = await storageProbe;
    if (reachable === 'down') checks.storage = 'down';
    const ready = checks.database === 'ok' && checks.queue === 'ok' && reachable === 'ok';
    ctx.status = ready ? 200 : 503;
    ctx.body = { status: ready ? 'ready' : 'not_ready', checks, ...(storageFailingSince ? { storageFailingSince: storageFailingSince.toISOString() } : {}) };
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
