import type { MikroORM } from '@mikro-orm/postgresql';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { listGenerationsQuery } from '#admin/schemas/generation-schemas.ts';
import { statsQuery } from '#admin/schemas/stats-schemas.ts';
import { createModelBody, listModelsQuery } from '#admin/schemas/model-schemas.ts';
import { createOrm } from '#shared/db/orm.ts';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.ts';
import { adminToken, serveApp, type ServedApp } from './harness.ts';
import { rawRequest, rawSocket, type RawResponse } from './raw-http.ts';

let tdb: TestDatabase;
let orm: MikroORM;
let api: ServedApp;
let modelId: number;

beforeAll(async () => {
  tdb = await createTestDatabase();
  orm = await createOrm(tdb.url);
  api = await serveApp({ tdb, orm, bodyLimitBytes: 64 * 1024 });
  const { rows } = await tdb.pool.query<{ id: number }>(`insert into model (kind, file_name, display_name) values ('checkpoint', 'base.safetensors', 'base') returning id`);
  modelId = rows[0]!.id;
});
afterEach(() => {
  const logs = api.logs.splice(0);
  // A client's mistake is never logged as an error, nor caught only by Postgres (the last line of defence).
  expect(logs.filter((l) => l.level === 'error' || l.level === 'fatal')).toEqual([]);
  expect(logs.filter((l) => l.msg === 'database refused a value that validation let through')).toEqual([]);
});
afterAll(async () => {
  await api?.close();
  await orm?.close();
  await tdb?.drop();
});

interface ErrorBody {
  error: { code: string; message: string; details: unknown };
}

function send(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<RawResponse> {
  const h: Record<string, string> = { authorization: `Bearer ${adminToken}`, ...headers };
  if (body !== undefined && !('content-type' in h)) h['content-type'] = 'application/json';
  return rawRequest(api.url, { method, path, headers: h, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
}

/** A 4xx in the API's error shape; returns the error. */
function clientError(res: RawResponse, what: string): ErrorBody['error'] {
  expect(res.status, `${what} → ${res.status} ${res.body.slice(0, 200)}`).toBeGreaterThanOrEqual(400);
  expect(res.status, `${what} → ${res.status} ${res.body.slice(0, 200)}`).toBeLessThan(500);
  const body = JSON.parse(res.body) as ErrorBody;
  expect(Object.keys(body.error).sort(), what).toEqual(['code', 'details', 'message']);
  expect(typeof body.error.message, what).toBe('string');
  return body.error;
}

/** Never a 5xx; an error is in the API's shape. */
function notServerError(res: RawResponse, what: string): void {
  expect(res.status, `${what} → ${res.status} ${res.body.slice(0, 200)}`).toBeLessThan(500);
  if (res.status >= 400) clientError(res, what);
}

const long = 'x'.repeat(10_000);

/** Values no body field accepts: each must be a 400 naming the field. */
const rejectedEverywhere: [string, unknown][] = [
  ['NUL inside', 'a\u0000b'],
  ['only NUL', '\u0000'],
  ['lone high surrogate', '\uD800'],
  ['lone low surrogate after text', 'x\uDC00'],
  ['10k characters', long],
  ['above int4', 2_147_483_648],
  ['below int4', -2_147_483_649],
  ['above 2^53', 2 ** 53 + 2],
  ['1e308', 1e308],
  ['object', { nested: { deeper: [1, 2, 3] } }],
  ['list with NUL', ['\u0000']],
  ['list with a lone surrogate', ['ok', '\uDBFF']],
  ['list with 10k characters', [long]],
  ['list with a number beyond int4', [2 ** 31]],
  ['1000-item list', Array.from({ length: 1000 }, (_, i) => `t${i}`)],
];

/** Values some fields take: never a 5xx either way. */
const maybeValid: [string, unknown][] = [
  ['null', null],
  ['true', true],
  ['empty string', ''],
  ['blank string', '   '],
  ['empty list', []],
  ['zero', 0],
  ['negative', -1],
  ['fraction', 1.5],
  ['emoji', '😀'.repeat(10)],
  ['digits as text', '123'],
];

const bodyFields = Object.keys(createModelBody.shape);

function namesField(error: ErrorBody['error'], field: string): boolean {
  return Object.keys(error.details as object).some((k) => k === field || k.startsWith(`${field}.`));
}

describe('hostile values in every body field', () => {
  test.each(bodyFields)('create and patch refuse them in %s with a 400 naming the field', async (field) => {
    for (const [name, value] of rejectedEverywhere) {
      const create = await send('POST', '/api/v1/models', { kind: 'checkpoint', fileName: 'hostile.safetensors', [field]: value });
      const createError = clientError(create, `create ${field}: ${name}`);
      expect(create.status, `create ${field}: ${name}`).toBe(400);
      expect(namesField(createError, field), `create ${field}: ${name} → ${JSON.stringify(createError.details)}`).toBe(true);

      const patch = await send('PATCH', `/api/v1/models/${modelId}`, { [field]: value });
      expect(patch.status, `patch ${field}: ${name}`).toBe(400);
      expect(namesField(clientError(patch, `patch ${field}: ${name}`), field)).toBe(true);
    }
    for (const [name, value] of maybeValid) {
      notServerError(await send('POST', '/api/v1/models', { kind: 'lora', fileName: `maybe-${field}-${name}.safetensors`, [field]: value }), `create ${field}: ${name}`);
      notServerError(await send('PATCH', `/api/v1/models/${modelId}`, { [field]: value }), `patch ${field}: ${name}`);
    }
    const { rows } = await tdb.pool.query<{ n: number }>(`select count(*)::int as n from model where file_name = 'hostile.safetensors'`);
    expect(rows[0]!.n).toBe(0);
  });

  test('a derived display name stays within its column, whole characters only', async () => {
    const ascii = await send('POST', '/api/v1/models', { kind: 'checkpoint', fileName: `${'a'.repeat(488)}.safetensors` });
    expect(ascii.status).toBe(201);
    expect((JSON.parse(ascii.body) as { displayName: string }).displayName).toBe('a'.repeat(200));
    const emoji = await send('POST', '/api/v1/models', { kind: 'checkpoint', fileName: `${'😀'.repeat(244)}.safetensors` });
    expect(emoji.status).toBe(201);
    const { displayName } = JSON.parse(emoji.body) as { displayName: string };
    expect(displayName.isWellFormed()).toBe(true);
    expect([...displayName]).toHaveLength(200);
  });

  test('a body that is not an object, or not JSON, is a 400; other media types are 415', async () => {
    for (const raw of ['[]', 'null', '42', '"text"', 'true', '[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]', '{"kind":', '\uFEFF{}', '{"kind":"lora","kind":"vae"', '{"__proto__":{"admin":true}}', '{"constructor":{"prototype":{}}}']) {
      for (const [method, path] of [['POST', '/api/v1/models'], ['PATCH', `/api/v1/models/${modelId}`], ['POST', '/api/v1/instances'], ['PATCH', '/api/v1/instances/1']] as const) {
        const res = await send(method, path, raw);
        expect(res.status, `${method} ${raw}`).toBe(400);
        expect(clientError(res, `${method} ${raw}`).code).toBe('validation_failed');
      }
    }
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
    const deep = '['.repeat(20_000) + ']'.repeat(20_000);
    notServerError(await send('POST', '/api/v1/models', deep), 'deeply nested JSON');
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', ';;;', 'application/json/evil', '*/*', 'application/json; charset=utf-16']) {
      const res = await send('POST', '/api/v1/models', '{"kind":"lora","fileName":"t.safetensors"}', { 'content-type': type });
      notServerError(res, `content-type ${type}`);
      if (!type.startsWith('application/json;')) expect(res.status, type).toBe(415);
    }
  });
});

const queries = [
  { path: '/api/v1/models', fields: Object.keys(listModelsQuery.shape) },
  { path: '/api/v1/generations', fields: Object.keys(listGenerationsQuery.shape) },
  { path: '/api/v1/stats', fields: Object.keys(statsQuery.shape) },
];

describe('hostile values in every query parameter', () => {
  test.each(queries)('$path refuses NUL, over-long and malformed values with a 400', async ({ path, fields }) => {
    for (const field of fields) {
      for (const raw of ['%00', 'a%00b', long]) {
        const res = await send('GET', `${path}?${field}=${raw}`);
        expect(res.status, `${field}=${raw.slice(0, 20)}`).toBe(400);
        expect(namesField(clientError(res, `${field}=${raw.slice(0, 20)}`), field)).toBe(true);
      }
      for (const raw of ['', '-1', '2147483648', '99999999999999999999999', '1e3', '0x10', '1.5', '%20', '%E0%A4%A', '%ED%A0%80', '%FF%FE', '%', '%%', '%F0%9F%98%80', 'a&' + field + '=b', '%5B%5D']) {
        notServerError(await send('GET', `${path}?${field}=${raw}`), `${field}=${raw}`);
      }
    }
    clientError(await send('GET', `${path}?unknown=1`), 'unknown parameter');
    clientError(await send('GET', `${path}?__proto__=1`), '__proto__ parameter');
  });

  test('out-of-range, negative, fractional and garbage model cursors are 400', async () => {
    for (const cursor of ['-1', '2147483648', '99999999999999999999999', '1e3', '1.5', 'abc', '', 'MQ', '0x1']) {
      const res = await send('GET', `/api/v1/models?cursor=${cursor}`);
      expect(res.status, cursor).toBe(400);
      expect(namesField(clientError(res, cursor), 'cursor')).toBe(true);
    }
  });

  test('forged generation cursors are 400, whatever they decode to', async () => {
    const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64url');
    const uuid = '0b8f5a4e-6a8e-4d47-9a57-3f2d3f0a9c11';
    const forged = [
      'not-a-cursor',
      '!!!!',
      '====',
      Buffer.from(uuid).toString('base64'),
      b64('x|y'),
      b64(`2026-01-01T00:00:00.000Z|${'-'.repeat(36)}`),
      b64(`2026-01-01T00:00:00.000Z|${uuid}|extra`),
      b64(`2026-13-01T00:00:00.000Z|${uuid}`),
      b64(`2026-02-30T00:00:00.000Z|${uuid}`),
      b64(`+275760-09-13T00:00:00.000Z|${uuid}`),
      b64(`-271821-04-20T00:00:00.000Z|${uuid}`),
      b64(`2026-01-01|${uuid}`),
      b64(`1|${uuid}`),
      b64(`Tue Mar 01 2022|${uuid}`),
      b64(`2026-01-01T00:00:00.000Z\u0000|${uuid}`),
      b64(`2026-01-01T00:00:00.000Z|${uuid}\u0000`),
      b64('\uD800|\uDC00'),
      Buffer.from([0xff, 0xfe, 0x00, 0x7c]).toString('base64url'),
    ];
    for (const cursor of forged) {
      const res = await send('GET', `/api/v1/generations?cursor=${encodeURIComponent(cursor)}`);
      expect(res.status, cursor).toBe(400);
      expect(clientError(res, cursor).code).toBe('validation_failed');
    }
    const genuine = await send('GET', `/api/v1/generations?cursor=${b64(`2026-01-01T00:00:00.000Z|${uuid}`)}`);
    expect(genuine.status).toBe(200);
  });

  test('hostile ids in the path are 400 or 404, never a 5xx', async () => {
    const ids = ['0', '-1', '999999999', '2147483648', '99999999999999999999', '1e3', '1.0', '%00', '%E0%A4%A', '%ED%A0%80', '%F0%9F%98%80', '%', '..', '%2e%2e', 'x'.repeat(5000), '1%20', '%201'];
    for (const id of ids) {
      for (const [method, path] of [
        ['GET', `/api/v1/models/${id}`],
        ['PATCH', `/api/v1/models/${id}`],
        ['DELETE', `/api/v1/models/${id}`],
        ['POST', `/api/v1/models/${id}/enable`],
        ['GET', `/api/v1/generations/${id}`],
        ['POST', `/api/v1/generations/${id}/cancel`],
        ['GET', `/api/v1/instances/${id}`],
        ['PATCH', `/api/v1/instances/${id}`],
        ['DELETE', `/api/v1/instances/${id}`],
        ['POST', `/api/v1/instances/${id}/drain`],
      ] as const) {
        const res = await send(method, path, method === 'PATCH' ? { nsfw: true } : undefined);
        expect([400, 404], `${method} ${path.slice(0, 60)} → ${res.status}`).toContain(res.status);
        clientError(res, `${method} ${path.slice(0, 60)}`);
      }
    }
    expect((await tdb.pool.query('select 1 from model where id = $1', [modelId])).rowCount).toBe(1);
  });
});

describe('hostile requests at the HTTP level', () => {
  test('unknown methods are 405 or 501 in the error shape, whether Koa or Node refuses them', async () => {
    for (const method of ['PROPFIND', 'TRACE', 'MKCOL', 'LINK', 'PURGE']) {
      for (const path of ['/api/v1/models', `/api/v1/models/${modelId}`, '/healthz', '/nowhere']) {
        const res = await send(method, path);
        expect([405, 501], `${method} ${path}`).toContain(res.status);
        expect(clientErrorOrNotImplemented(res, `${method} ${path}`)).toMatch(/^(method_not_allowed|not_implemented)$/);
      }
    }
    const put = await send('PUT', `/api/v1/models/${modelId}`, { nsfw: true });
    expect(put.status).toBe(405);
    expect(put.headers.allow).toBe('HEAD, GET, PATCH, DELETE');
    for (const line of ['FOO /api/v1/models HTTP/1.1', 'get /api/v1/models HTTP/1.1', 'BREW /healthz HTTP/1.1']) {
      const res = await rawSocket(api.url, `${line}\r\nHost: x\r\nAuthorization: Bearer ${adminToken}\r\nConnection: close\r\n\r\n`);
      expect(res.status, line).toBe(501);
      expect(JSON.parse(res.body), line).toEqual({ error: { code: 'not_implemented', message: 'this method is not supported', details: null } });
    }
  });

  test('malformed requests the parser refuses get the error shape, not a bare 400', async () => {
    const head = `POST /api/v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${adminToken}\r\nContent-Type: application/json\r\nConnection: close\r\n`;
    for (const extra of ['Content-Length: abc', 'Content-Length: 99999999999999999999999', 'Content-Length: 1\r\nContent-Length: 2', 'Transfer-Encoding: chunked\r\nContent-Length: 3', 'Bad Header: x']) {
      const res = await rawSocket(api.url, `${head}${extra}\r\n\r\n{}`);
      expect(res.status, extra).toBe(400);
      expect(JSON.parse(res.body), extra).toEqual({ error: { code: 'bad_request', message: 'malformed HTTP request', details: null } });
    }
    const badChunk = await rawSocket(api.url, `${head}Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`);
    expect(badChunk.status).toBeLessThan(500);
  });

  test('a giant declared Content-Length is a 413 before anything is read', async () => {
    const res = await send('POST', '/api/v1/models', '{}', { 'content-length': '9007199254740991' });
    expect(res.status).toBe(413);
    expect(clientError(res, 'content-length').code).toBe('payload_too_large');
  });
});

function clientErrorOrNotImplemented(res: RawResponse, what: string): string {
  const body = JSON.parse(res.body) as ErrorBody;
  expect(Object.keys(body.error).sort(), what).toEqual(['code', 'details', 'message']);
  return body.error.code;
}
