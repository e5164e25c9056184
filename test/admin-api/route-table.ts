import type { MikroORM } from '@mikro-orm/postgresql';
import { adminRouter } from '#admin/admin-router.ts';
import { createMetricsRegistry } from '#admin/metrics.ts';
import { isPublicRoute } from '#admin/routing.ts';
import { asDb } from '#shared/db/pool.ts';
import { createLogger } from '#shared/logging.ts';
import type { TestDatabase } from '../support/testDatabase.ts';
import { adminToken, testImages } from './harness.ts';

export interface RouteCase {
  method: string;
  /** The route as registered, e.g. `/api/v1/models/:id`. */
  template: string;
  /** The route with every parameter filled in. */
  path: string;
  isPublic: boolean;
}

// A value per parameter name that passes the route's validation, so a request that slipped past the token would reach the handler.
export const sampleGenerationId = '00000000-0000-4000-8000-000000000001';
const sampleParams: Record<string, string> = {
  id: '1', generationId: sampleGenerationId, index: '0', name: '256.webp', guildId: '200000000000000001', roleId: '500000000000000001', userId: '100000000000000001',
};

/**
 * Every route of the admin API, read from the root router `createAdminApp` serves (built the same
 * way), so a route added later is swept without touching the tests.
 */
export function routeTable(tdb: TestDatabase, orm: MikroORM): RouteCase[] {
  const logger = createLogger({ level: 'silent' });
  const db = asDb(tdb.pool);
  const router = adminRouter({ db, orm, adminToken, logger, metrics: createMetricsRegistry(db, logger), images: testImages(db), bodyLimitBytes: 1024, readyTimeoutMs: 1000, modelsEnableNew: true });
  return router.stack
    .filter((layer) => layer.methods.length > 0)
    .flatMap((layer) => {
      const forGeneration = String(layer.path).startsWith('/api/v1/generations/');
      const params = Object.fromEntries(layer.paramNames.map((key) => [key.name, key.name === 'id' && forGeneration ? sampleGenerationId : (sampleParams[key.name] ?? 'x')]));
      return layer.methods.map((method) => ({ method, template: String(layer.path), path: layer.url(params), isPublic: isPublicRoute(layer) }));
    });
}
