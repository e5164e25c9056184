import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { securityHeaders } from '#admin/middleware/security-headers.ts';
import { adminApiForFile, serveApp, type ServedApp } from './harness.ts';
import { rawRequest } from './raw-http.ts';
import { routeTable, type RouteCase } from './route-table.ts';

const world = adminApiForFile();
const allowed = 'https://ops.example.com';
let withCors: ServedApp;
let routes: RouteCase[];

beforeAll(async () => {
  routes = routeTable(world.tdb, world.orm);
  withCors = await serveApp({ tdb: world.tdb, orm: world.orm, corsOrigins: [allowed, 'http://127.0.0.1:5173'] });
});
afterAll(async () => {
  await withCors?.close();
});

const accessControl = (headers: Headers) => [...headers.keys()].filter((k) => k.startsWith('access-control-'));

describe('security headers on every answer', () => {
  test('every route, with and without the token, answers with all of them (successes and errors alike)', async () => {
    const missing: string[] = [];
    // /docs relaxes the CSP for Swagger UI (routes/docs.ts tests that); everything else keeps the strict set.
    for (const route of routes.filter((r) => r.method !== 'HEAD' && !r.path.startsWith('/docs'))) {
      for (const token of [true, false]) {
        // No body: a route that needs one answers 400, which must carry the headers too.
        const res = await rawRequest(world.api.url, { method: route.method, path: route.path, headers: token ? { authorization: 'Bearer test-admin-token-0123456789abcdef' } : {} });
        for (const [name, value] of Object.entries(securityHeaders)) {
          if (res.headers[name.toLowerCase()] !== value) missing.push(`${route.method} ${route.path} (${token ? 'token' : 'no token'}, ${res.status}): ${name}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  test('on 404, 405, 413 and 415 too', async () => {
    const answers = [
      await world.api.request('/no/such/path'),
      await world.api.request('/api/v1/stats', { method: 'DELETE' }),
      await world.api.request('/api/v1/models', { method: 'POST', body: 'x'.repeat(200 * 1024), headers: { 'content-type': 'application/json' } }),
      await world.api.request('/api/v1/models', { method: 'POST', body: 'a=b', headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
    ];
    expect(answers.map((r) => r.status)).toEqual([404, 405, 413, 415]);
    for (const res of answers) for (const [name, value] of Object.entries(securityHeaders)) expect(res.headers.get(name)).toBe(value);
  });
});

describe('CORS', () => {
  test('off by default: no Access-Control-* header, not even to a preflight', async () => {
    const get = await world.api.request('/api/v1/models', { headers: { origin: allowed } });
    const preflight = await world.api.request('/api/v1/models', { method: 'OPTIONS', token: null, headers: { origin: allowed, 'access-control-request-method': 'PATCH' } });
    expect(accessControl(get.headers)).toEqual([]);
    expect(accessControl(preflight.headers)).toEqual([]);
  });

  test('with ADMIN_CORS_ORIGINS, a listed origin may call (answers and errors), others get nothing', async () => {
    const ok = await withCors.request('/api/v1/models', { headers: { origin: allowed } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe(allowed);
    expect(ok.headers.get('vary')).toContain('Origin');
    expect(ok.headers.get('x-content-type-options')).toBe('nosniff');

    const refused = await withCors.request('/api/v1/models', { token: null, headers: { origin: allowed } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('access-control-allow-origin')).toBe(allowed);

    const preflight = await withCors.request('/api/v1/limits/global', { method: 'OPTIONS', token: null, headers: { origin: allowed, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'authorization, content-type' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(allowed);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('PUT');
    expect(preflight.headers.get('access-control-allow-headers')).toBe('Authorization,Content-Type');
    expect(preflight.headers.get('access-control-allow-credentials')).toBeNull();

    for (const origin of ['https://evil.example', 'https://ops.example.com.evil.example', 'null']) {
      const other = await withCors.request('/api/v1/models', { headers: { origin } });
      expect(accessControl(other.headers), origin).toEqual([]);
      const otherPreflight = await withCors.request('/api/v1/models', { method: 'OPTIONS', token: null, headers: { origin, 'access-control-request-method': 'DELETE' } });
      expect(accessControl(otherPreflight.headers), origin).toEqual([]);
    }
  });
});
