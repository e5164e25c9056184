import type { MikroORM } from '@mikro-orm/postgresql';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createOrm } from '#shared/db/orm.ts';
import { asDb, createPool } from '#shared/db/pool.ts';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.ts';
import { adminToken, errorOf, serveApp, type ServedApp } from './harness.ts';

let tdb: TestDatabase;
let orm: MikroORM;
let api: ServedApp;
let deadPool: pg.Pool;
let broken: ServedApp;

beforeAll(async () => {
  tdb = await createTestDatabase();
  orm = await createOrm(tdb.url);
  api = await serveApp({ tdb, orm, bodyLimitBytes: 1024 });
  const nowhere = new URL(tdb.url);
  nowhere.pathname = `/${tdb.name}_never_created`;
  deadPool = createPool(nowhere.toString(), { connectionTimeoutMillis: 2000 });
  broken = await serveApp({ db: asDb(deadPool), orm });
});
afterAll(async () => {
  await api?.close();
  await broken?.close();
  await deadPool?.end();
  await orm?.close();
  await tdb?.drop();
});

describe('authentication', () => {
  test('no token, a wrong token, a wrong scheme and a token prefix are all 401 with the error shape', async () => {
    for (const token of [null, 'wrong-token', adminToken.slice(0, -1), `${adminToken}x`]) {
      const res = await api.request('/api/v1/models', { token });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(await errorOf(res)).toMatchObject({ code: 'unauthorized', details: null });
    }
    const basic = await api.request('/api/v1/models', { token: null, headers: { authorization: `Basic ${adminToken}` } });
    expect(basic.status).toBe(401);
    expect((await api.request('/api/v1/models')).status).toBe(200);
  });

  test('an unknown path is the same 404 with or without the token; a known one without it is 401', async () => {
    for (const token of [null, adminToken]) {
      const res = await api.request('/api/v1/nothing-here', { token });
      expect(res.status).toBe(404);
      expect(await errorOf(res)).toEqual({ code: 'not_found', message: 'no route for GET /api/v1/nothing-here', details: null });
    }
    expect((await api.request('/api/v1/models', { token: null })).status).toBe(401);
  });

  test('a protected path asked with a method it lacks needs the token before saying 405 or answering OPTIONS', async () => {
    for (const method of ['PUT', 'OPTIONS', 'PROPFIND']) {
      const res = await api.request('/api/v1/models', { method, token: null });
      expect(res.status).toBe(401);
      expect((await errorOf(res)).code).toBe('unauthorized');
    }
    const options = await api.request('/api/v1/models', { method: 'OPTIONS' });
    expect(options.status).toBe(200);
    expect(options.headers.get('allow')?.split(', ').sort()).toEqual(['GET', 'HEAD', 'POST']);
  });
});

describe('error shape and HTTP rules', () => {
  test('an unexpected error is a 500 with a generic message; the stack goes to the log only', async () => {
    const res = await broken.request('/api/v1/generations');
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ error: { code: 'internal', message: 'internal server error', details: null } });
    expect(text).not.toMatch(/does not exist|never_created|\bat\s/);
    const logged = broken.logs.find((l) => l.msg === 'admin api request failed');
    expect(logged).toMatchObject({ level: 'error', path: '/api/v1/generations' });
    expect(String((logged?.err as { stack?: string }).stack)).toContain('never_created');
  });

  test('unknown method on a known path is 405 with Allow; unknown top-level path is 404', async () => {
    const res = await api.request('/api/v1/models', { method: 'PUT', json: {} });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')?.split(', ').sort()).toEqual(['GET', 'HEAD', 'POST']);
    expect((await errorOf(res)).code).toBe('method_not_allowed');
    const missing = await api.request('/nope', { token: null });
    expect(missing.status).toBe(404);
    expect((await errorOf(missing)).code).toBe('not_found');
  });

  test('bodies over the limit are 413, whether declared or streamed', async () => {
    const big = { kind: 'checkpoint', fileName: 'x'.repeat(2000) };
    const declared = await api.request('/api/v1/models', { method: 'POST', json: big });
    expect(declared.status).toBe(413);
    expect(await errorOf(declared)).toMatchObject({ code: 'payload_too_large', details: { limitBytes: 1024 } });

    const bytes = new TextEncoder().encode(JSON.stringify(big));
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 256) controller.enqueue(bytes.subarray(i, i + 256));
        controller.close();
      },
    });
    const streamed = await api.request('/api/v1/models', { method: 'POST', body: stream, headers: { 'content-type': 'application/json' }, duplex: 'half' } as RequestInit);
    expect(streamed.status).toBe(413);
    expect((await errorOf(streamed)).code).toBe('payload_too_large');
    const { rows } = await tdb.pool.query('select count(*)::int as n from model');
    expect(rows[0]).toEqual({ n: 0 });
  });

  test('malformed JSON is 400 and a non-JSON body is 415', async () => {
    const malformed = await api.request('/api/v1/models', { method: 'POST', body: '{"kind":', headers: { 'content-type': 'application/json' } });
    expect(malformed.status).toBe(400);
    expect(await errorOf(malformed)).toMatchObject({ code: 'validation_failed', message: 'request body is not valid JSON' });
    const form = await api.request('/api/v1/models', { method: 'POST', body: 'kind=lora', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(form.status).toBe(415);
    expect((await errorOf(form)).code).toBe('unsupported_media_type');
  });

  test('security headers on success and on errors; no CORS headers', async () => {
    for (const res of [await api.request('/healthz'), await api.request('/api/v1/models', { token: null, headers: { origin: 'https://evil.example' } })]) {
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    }
  });
});
