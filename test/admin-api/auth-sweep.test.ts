import { beforeAll, describe, expect, test } from 'vitest';
import { adminToken, adminApiForFile } from './harness.ts';
import { spellingsOf } from './path-spellings.ts';
import { errorCodeOf, rawRequest, type RawResponse } from './raw-http.ts';
import { routeTable, sampleGenerationId, type RouteCase } from './route-table.ts';
import { asDb } from '#shared/db/pool.ts';
import { consoleAssetNames } from '#admin/console/assets.ts';
import { docsAssetNames } from '#admin/openapi/docs-assets.ts';
import { GenerationRepository } from '#shared/db/repositories/generation-repository.ts';
import { generationInput } from '../support/generation-fixture.ts';

const world = adminApiForFile();

/** Adding a public route means adding it here too. */
const publicRoutes = [
  'GET /healthz', 'HEAD /healthz', 'GET /readyz', 'HEAD /readyz', 'GET /metrics', 'HEAD /metrics',
  'GET /openapi.json', 'HEAD /openapi.json', 'GET /docs', 'HEAD /docs',
  ...docsAssetNames.flatMap((name) => [`GET /docs/${name}`, `HEAD /docs/${name}`]),
  'GET /admin', 'HEAD /admin',
  ...consoleAssetNames.flatMap((name) => [`GET /admin/${name}`, `HEAD /admin/${name}`]),
  ...imageRoutes(),
];

/** Public to the token gate because they check access themselves (a signed link or the token): swept like protected routes. */
function imageRoutes(): string[] {
  return ['/images/:generationId/:index', '/images/:generationId/:index/thumb/:name'].flatMap((path) => [`GET ${path}`, `HEAD ${path}`]);
}
const selfAuthorised = new Set(imageRoutes());

// A body that would pass validation, so a request that slipped past the token would change something.
const bodies: Record<string, unknown> = {
  'POST /api/v1/models': { kind: 'checkpoint', fileName: 'bypass.safetensors' },
  'PATCH /api/v1/models/:id': { displayName: 'bypassed' },
  'POST /api/v1/instances': { name: 'bypass', baseUrl: 'http://bypass.invalid:8188' },
  'PATCH /api/v1/instances/:id': { name: 'bypassed' },
  'POST /api/v1/models/bulk': { ids: [1], action: 'disable' },
  ...Object.fromEntries(['global', 'guilds/:guildId', 'guilds/:guildId/roles/:roleId', 'users/:userId'].map((p) => [`PUT /api/v1/limits/${p}`, { perDay: 1, blocked: true }])),
};

let routes: RouteCase[];

beforeAll(async () => {
  routes = routeTable(world.tdb, world.orm);
  await world.tdb.pool.query(`insert into model (id, kind, file_name, display_name) values (1, 'checkpoint', 'one.safetensors', 'one')`);
  // Something for every protected route to change if a request slipped past the token.
  await world.tdb.pool.query(`insert into comfy_instance (id, name, base_url) values (1, 'one', 'http://one.invalid:8188')`);
  await world.tdb.pool.query(`insert into workflow_template (id, name) values (1, 'one')`);
  await new GenerationRepository(asDb(world.tdb.pool)).create(generationInput({ id: sampleGenerationId }));
});

function send(route: RouteCase, target: string, token: string | null): Promise<RawResponse> {
  const body = bodies[`${route.method} ${route.template}`];
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  return rawRequest(world.api.url, { method: route.method, path: target, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

/**
 * 401 from the token check or the router's own 404 (HEAD answers carry no body to tell by). A
 * self-authorising route may also refuse a parameter it cannot read (400) before it asks for access.
 */
function refusedBeforeAnyHandler(route: RouteCase, res: RawResponse): boolean {
  if (selfAuthorised.has(`${route.method} ${route.template}`) && res.status === 400) return route.method === 'HEAD' || errorCodeOf(res.body) === 'validation_failed';
  if (route.method === 'HEAD') return res.status === 401 || res.status === 404;
  const code = errorCodeOf(res.body);
  return (res.status === 401 && code === 'unauthorized') || (res.status === 404 && code === 'not_found' && res.body.includes('no route for'));
}

describe('every route, however its path is spelled', () => {
  test('the router has the routes this sweep expects, and exactly the listed ones are public', () => {
    expect(routes.length).toBeGreaterThanOrEqual(15);
    expect(routes.map((r) => `${r.method} ${r.template}`)).toEqual(expect.arrayContaining(['GET /api/v1/models', 'POST /api/v1/models/:id/enable', 'GET /api/v1/generations/:id']));
    expect(routes.filter((r) => r.isPublic).map((r) => `${r.method} ${r.template}`).sort()).toEqual([...publicRoutes].sort());
    for (const key of Object.keys(bodies)) expect(routes.map((r) => `${r.method} ${r.template}`)).toContain(key);
  });

  test('without the token, no spelling of a protected route reaches a handler', async () => {
    const failures: string[] = [];
    for (const route of routes.filter((r) => !r.isPublic || selfAuthorised.has(`${r.method} ${r.template}`))) {
      for (const spelling of spellingsOf(route.path, world.api.url)) {
        for (const token of [null, `${adminToken}x`, adminToken.toUpperCase()]) {
          const res = await send(route, spelling.target, token);
          if (!refusedBeforeAnyHandler(route, res)) failures.push(`${route.method} ${spelling.target} (${spelling.name}, token ${token === null ? 'none' : 'wrong'}) → ${res.status} ${res.body.slice(0, 120)}`);
        }
      }
    }
    expect(failures).toEqual([]);
    const { rows } = await world.tdb.pool.query<{ n: number }>(`select count(*)::int as n from model where file_name = 'bypass.safetensors' or display_name = 'bypassed'`);
    expect(rows[0]!.n).toBe(0);
    expect((await world.tdb.pool.query(`select 1 from comfy_instance where name in ('bypass', 'bypassed') or not enabled or draining`)).rowCount).toBe(0);
    expect((await world.tdb.pool.query(`select status from generation`)).rows).toEqual([{ status: 'queued' }]);
    expect((await world.tdb.pool.query('select 1 from audit_log')).rowCount).toBe(0);
  });

  test('with the token, matching is exact: aliases reach the route, odd spellings are 404, none is a 5xx', async () => {
    const failures: string[] = [];
    for (const route of routes) {
      for (const spelling of spellingsOf(route.path, world.api.url)) {
        const res = await send(route, spelling.target, adminToken);
        // A HEAD 404 has no body to tell "no route" from "no such image": ask the same path with GET.
        const askGet = route.method === 'HEAD' && res.status === 404 && selfAuthorised.has(`${route.method} ${route.template}`);
        const told = askGet ? await send({ ...route, method: 'GET' }, spelling.target, adminToken) : res;
        const noRoute = res.status === 404 && ((route.method === 'HEAD' && !askGet) || told.body.includes('no route for'));
        const ok =
          spelling.kind === 'alias' ? !noRoute && res.status !== 401 && (res.status < 500 || route.template === '/readyz')
          : spelling.kind === 'odd' ? noRoute
          : res.status >= 300 && res.status < 500;
        if (!ok) failures.push(`${route.method} ${spelling.target} (${spelling.name}, ${spelling.kind}) → ${res.status} ${res.body.slice(0, 120)}`);
      }
    }
    expect(failures).toEqual([]);
  });
});
