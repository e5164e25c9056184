import Router from '@koa/router';
import Koa from 'koa';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Db } from '#shared/db/pool.ts';
import { GenerationRepository } from '#shared/db/repositories/generation-repository.ts';
import { ModelRepository } from '#shared/db/repositories/model-repository.ts';
import type { Logger } from '#shared/logging.ts';
import { createMetricsRegistry } from './metrics.ts';
import { bearerAuth } from './middleware/bearer-auth.ts';
import { errorHandler } from './middleware/error-handler.ts';
import { jsonBody } from './middleware/json-body.ts';
import { securityHeadersMiddleware } from './middleware/security-headers.ts';
import { generationsRouter } from './routes/generations.ts';
import { healthRouter } from './routes/health.ts';
import { imagesRouter, type ImagesDeps } from './routes/images.ts';
import { modelsRouter } from './routes/models.ts';

export interface AdminAppDeps {
  /** Pool-backed port for hand-written SQL (generations, audit, health, metrics). */
  db: Db;
  /** MikroORM for the model registry. */
  orm: MikroORM;
  adminToken: string;
  logger: Logger;
  /** Where /images reads stored files and how it checks signed links. */
  images: ImagesDeps;
  /** Largest JSON body accepted; default 100 KiB. */
  bodyLimitBytes?: number;
  /** How long /readyz waits for Postgres; default 2 s. */
  readyTimeoutMs?: number;
}

export const apiPrefix = '/api/v1';

/**
 * The admin API as a Koa app, not listening. Order matters: errors are shaped first, headers go on
 * every answer, the token is checked before a body is read, then routes, then 405/501 handling.
 * CORS is off: no Access-Control-* headers are ever sent.
 */
export function createAdminApp(deps: AdminAppDeps): Koa {
  const app = new Koa({ proxy: false });
  const logger = deps.logger.child({ role: 'admin-api' });
  const metrics = createMetricsRegistry(deps.db, logger);
  // One root router so allowedMethods sees every route when it answers 405.
  const router = new Router();
  router.use(
    healthRouter({ db: deps.db, metrics, logger, readyTimeoutMs: deps.readyTimeoutMs ?? 2000 }).routes(),
    modelsRouter({ models: new ModelRepository(deps.orm), db: deps.db }).routes(),
    generationsRouter({ generations: new GenerationRepository(deps.db) }).routes(),
    imagesRouter({ ...deps.images, db: deps.db, adminToken: deps.adminToken, logger }).routes(),
  );

  app.use(errorHandler(logger));
  app.use(securityHeadersMiddleware());
  app.use(bearerAuth(deps.adminToken, apiPrefix));
  app.use(jsonBody({ limitBytes: deps.bodyLimitBytes ?? 100 * 1024 }));
  app.use(router.routes());
  app.use(router.allowedMethods({ throw: true }));
  // Koa logs unhandled errors itself; the error middleware handles all of them, so this only sees socket trouble.
  app.on('error', (err: unknown) => logger.warn({ err }, 'admin api connection error'));
  return app;
}
