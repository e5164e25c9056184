import type Router from '@koa/router';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Registry } from 'prom-client';
import type { Db } from '#shared/db/pool.ts';
import { GenerationRepository } from '#shared/db/repositories/generation-repository.ts';
import { ModelRepository } from '#shared/db/repositories/model-repository.ts';
import type { Logger } from '#shared/logging.ts';
import { bearerAuth } from './middleware/bearer-auth.ts';
import { jsonBody } from './middleware/json-body.ts';
import { generationsRouter, type QueueDeps } from './routes/generations.ts';
import { healthRouter } from './routes/health.ts';
import { imagesRouter, type ImagesDeps } from './routes/images.ts';
import { keepRouter } from './routes/keep.ts';
import { usersRouter } from './routes/users.ts';
import { instancesRouter } from './routes/instances.ts';
import { consoleRouter } from './routes/console.ts';
import { docsRouter } from './routes/docs.ts';
import { statsRouter } from './routes/stats.ts';
import { limitsRouter } from './routes/limits.ts';
import { modelsRouter } from './routes/models.ts';
import { modelFamilyRulesRouter } from './routes/model-family-rules.ts';
import { workflowsRouter } from './routes/workflows.ts';
import { newRouter } from './routing.ts';

export interface AdminRouterDeps {
  db: Db;
  orm: MikroORM;
  adminToken: string;
  queue?: QueueDeps;
  logger: Logger;
  metrics: Registry;
  images: ImagesDeps;
  bodyLimitBytes: number;
  readyTimeoutMs: number;
  /** MODELS_ENABLE_NEW, for models found by `POST /models/refresh`. */
  modelsEnableNew: boolean;
}

/**
 * Every route of the admin API in one root router, so allowedMethods sees them all when it answers
 * 405 and tests can enumerate them. The token check runs first on whatever route matched, before a
 * body is read; only routes marked `publicRoute` skip it.
 */
export function adminRouter(deps: AdminRouterDeps): Router {
  const root = newRouter();
  root.use(bearerAuth(deps.adminToken), jsonBody({ limitBytes: deps.bodyLimitBytes }));
  root.use(
    healthRouter({ db: deps.db, metrics: deps.metrics, logger: deps.logger, readyTimeoutMs: deps.readyTimeoutMs, storage: deps.images.storage }).routes(),
    modelsRouter({
      models: new ModelRepository(deps.orm),
      refresh: deps.queue && { pool: deps.queue.pool, logger: deps.logger, enableNew: deps.modelsEnableNew },
    }).routes(),
    generationsRouter({ generations: new GenerationRepository(deps.db), queue: deps.queue }).routes(),
    keepRouter({ queue: deps.queue }).routes(),
    usersRouter({ queue: deps.queue, storage: deps.images.storage }).routes(),
    instancesRouter({ db: deps.db, orm: deps.orm }).routes(),
    statsRouter({ db: deps.db }).routes(),
    workflowsRouter({ db: deps.db, logger: deps.logger }).routes(),
    limitsRouter({ db: deps.db, pool: deps.queue?.pool }).routes(),
    modelFamilyRulesRouter({ db: deps.db, pool: deps.queue?.pool }).routes(),
    docsRouter().routes(),
    consoleRouter().routes(),
    imagesRouter({ ...deps.images, db: deps.db, adminToken: deps.adminToken, logger: deps.logger }).routes(),
  );
  return root;
}
