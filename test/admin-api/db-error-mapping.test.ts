import Koa from 'koa';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { errorHandler } from '#admin/middleware/error-handler.ts';
import { createAdminServer } from '#admin/start.ts';
import { createLogger } from '#shared/logging.ts';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.ts';

// The last line of defence: Postgres errors a client can cause, raised for real and passed through the
// admin error handler, become 4xx answers in words. No route lets these through any more, so a bare app does.
const statements: Record<string, { sql: string; values?: unknown[] }> = {
  'NUL in a parameter': { sql: 'insert into t_child (parent, note) values (1, $1)', values: ['a\u0000b'] },
  'too long': { sql: `insert into t_child (parent, note) values (1, repeat('x', 11))` },
  'NUL in jsonb': { sql: `select '"\\u0000"'::jsonb` },
  'bad bytes': { sql: `select convert_from('\\x00'::bytea, 'UTF8')` },
  'int overflow': { sql: 'select 2147483647::int + 1' },
  'timestamp overflow': { sql: `select '294277-01-01'::timestamptz` },
  'bad uuid': { sql: `select 'x'::uuid` },
  duplicate: { sql: 'insert into t_parent (id) values (1)' },
  'missing parent': { sql: 'insert into t_child (parent, note) values (2, $1)', values: ['x'] },
  'failed check': { sql: 'insert into t_child (parent, note) values (1, $1)', values: ['forbidden'] },
  'missing value': { sql: 'insert into t_child (parent, note) values (1, null)' },
  'server fault': { sql: 'select * from no_such_table_here' },
};

let tdb: TestDatabase;
let server: Server;
let url: string;
const logs: Record<string, unknown>[] = [];

beforeAll(async () => {
  tdb = await createTestDatabase();
  await tdb.pool.query(`create table t_parent (id int constraint t_parent_secret_pkey primary key);
    insert into t_parent values (1);
    create table t_child (parent int constraint t_child_secret_fk references t_parent(id), note varchar(10) not null constraint t_child_secret_check check (note <> 'forbidden'))`);
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  const app = new Koa();
  app.use(errorHandler(createLogger({ level: 'debug', destination })));
  app.use(async (ctx) => {
    const statement = statements[decodeURIComponent(ctx.path.slice(1))]!;
    await tdb.pool.query(statement.sql, statement.values);
    ctx.body = { ran: true };
  });
  server = createAdminServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await tdb?.drop();
});

test.each([
  ['NUL in a parameter', 400],
  ['too long', 400],
  ['NUL in jsonb', 400],
  ['bad bytes', 400],
  ['int overflow', 400],
  ['timestamp overflow', 400],
  ['bad uuid', 400],
  ['duplicate', 409],
  ['missing parent', 400],
  ['failed check', 400],
  ['missing value', 400],
])('%s is a %i in words, logged as a warning', async (name, status) => {
  logs.length = 0;
  const res = await fetch(`${url}/${encodeURIComponent(name)}`);
  expect(res.status).toBe(status);
  const text = await res.text();
  const body = JSON.parse(text) as { error: { code: string; message: string; details: unknown } };
  expect(body.error.code).toBe(status === 409 ? 'conflict' : 'validation_failed');
  expect(body.error.message).toMatch(/^the request /);
  expect(text).not.toMatch(/t_parent|t_child|secret|constraint|violates/);
  expect(logs.map((l) => l.level)).toEqual(['warn', 'debug']);
});

test('anything else is still a 500 with a generic message, logged as an error', async () => {
  logs.length = 0;
  const res = await fetch(`${url}/${encodeURIComponent('server fault')}`);
  expect(res.status).toBe(500);
  expect(await res.json()).toEqual({ error: { code: 'internal', message: 'internal server error', details: null } });
  expect(logs.map((l) => l.level)).toEqual(['error']);
});
