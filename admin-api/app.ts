import Koa from 'koa';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { QueueDeps } from './routes/generations.ts';
import type { Db } from '#shared/db/pool.ts';
import type { Logger } from '#shared/logging.ts';
import type { ImagesDeps } from './routes/images.ts';
import { adminRouter } from './admin-router.ts';
import { httpError } from './http-errors.ts';
import { createMetricsRegistry } from './metrics.ts';
import { bearerAuth } from './middleware/bearer-auth.ts';
import { errorHandler } from './middleware/error-handler.ts';
import { securityHeadersMiddleware } from './middleware/security-headers.ts';
import { corsFor } from './middleware/cors.ts';

export interface AdminAppDeps {
  /** Pool-backed port for hand-written SQL (generations, health, metrics). */
  db: Db;
  /** MikroORM for the model registry and its audit rows. */
  orm: MikroORM;
  adminToken: string;
  logger: Logger;
  /** The pool and a pg-boss producer, for cancelling generations; without it cancel answers 503. */
  queue?: QueueDeps;
  /** Where /images reads stored files and how it checks signed links. */
  images: ImagesDeps;
  /** Largest JSON body accepted; default 100 KiB. */
  bodyLimitBytes?: number;
  /** How long /readyz waits for Postgres; default 2 s. */
  readyTimeoutMs?: number;
  /** MODELS_ENABLE_NEW: whether safe models found by a refresh start enabled; default true. */
  modelsEnableNew?: boolean;
  /** ADMIN_CORS_ORIGINS: browser origins allowed cross-origin; none = CORS off. */
  corsOrigins?: readonly string[];
}

/**
 * The admin API as a Koa app, not listening. Order matters: errors are shaped first, headers go on
 * every answer, then the router (which checks the token on the route it matched), then 405/501
 * handling, under which a second token check covers protected paths asked with a method they lack.
 * CORS is off (no Access-Control-* headers at all) unless origins are listed; then only those get them.
 */
export function createAdminApp(deps: AdminAppDeps): Koa {
  const app = new Koa({ proxy: false });
  const logger = deps.logger.child({ role: 'admin-api' });
  const router = adminRouter({
    ...deps,
    logger,
    metrics: createMetricsRegistry(deps.db, logger),
    bodyLimitBytes: deps.bodyLimitBytes ?? 100 * 1024,
    readyTimeoutMs: deps.readyTimeoutMs ?? 2000,
    modelsEnableNew: deps.modelsEnableNew ?? true,
  });

  app.use(errorHandler(logger));
  app.use(securityHeadersMiddleware());
  if (deps.corsOrigins?.length) app.use(corsFor(deps.corsOrigins));
  app.use(router.routes());
  app.use(
    router.allowedMethods({
      throw: true,
      methodNotAllowed: () => httpError(405, 'this path does not support this method'),
      notImplemented: () => httpError(501, 'this method is not supported'),
    }),
  );
  app.use(bearerAuth(deps.adminToken));
  // Koa logs unhandled errors itself; the error middleware handles all of them, so this only sees socket trouble.
  app.on('error', (err: unknown) => logger.warn({ err }, 'admin api connection error'));
  return app;
}
