import type Router from '@koa/router';
import type { Registry } from 'prom-client';
import type { Db } from '#shared/db/pool.ts';
import { readStorageHealth, type StorageHealthRow } from '#shared/db/sql/storage-health.ts';
import type { Logger } from '#shared/logging.ts';
import { newRouter, publicRoute } from '../routing.ts';
import { readinessProbe } from '../sql/observability.ts';

export interface HealthRouterDeps {
  db: Db;
  metrics: Registry;
  logger: Logger;
  /** How long /readyz waits for Postgres before answering 503. */
  readyTimeoutMs: number;
}

type CheckResult = 'ok' | 'down' | 'missing';

/**
 * `/healthz` (process alive), `/readyz` (Postgres and pg-boss usable; image storage's health as the
 * schedulers last saw it), `/metrics` (Prometheus). The only public routes.
 */
export function healthRouter({ db, metrics, logger, readyTimeoutMs }: HealthRouterDeps): Router {
  const router = newRouter();

  router.get('/healthz', publicRoute, (ctx) => {
    ctx.body = { status: 'ok', uptimeSeconds: Math.round(process.uptime()) };
  });

  router.get('/readyz', publicRoute, async (ctx) => {
    const checks: { database: CheckResult; queue: CheckResult; storage: 'ok' | 'failing' | 'down' } = { database: 'down', queue: 'down', storage: 'down' };
    let storageFailingSince: Date | null = null;
    try {
      const { text, values } = readinessProbe();
      const { rows } = await withTimeout(db.executeSql<{ ok: number; bossInstalled: boolean }>(text, values), readyTimeoutMs);
      checks.database = 'ok';
      checks.queue = rows[0]?.bossInstalled ? 'ok' : 'missing';
      const storage = readStorageHealth();
      storageFailingSince = (await withTimeout(db.executeSql<StorageHealthRow>(storage.text, storage.values), readyTimeoutMs)).rows[0]?.failingSince ?? null;
      checks.storage = storageFailingSince ? 'failing' : 'ok';
    } catch (err) {
      logger.warn({ err }, 'readiness check failed');
    }
    // Failing image writes hold GPU intake but this API still serves what is stored: reported, not "not ready".
    const ready = checks.database === 'ok' && checks.queue === 'ok';
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
