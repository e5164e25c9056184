import pg from 'pg';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { preparingClient, StatementNames } from '#shared/db/preparing-client.ts';
import { createPool } from '#shared/db/pool.ts';
import { createOrm } from '#shared/db/orm.ts';
import { startBoss } from '#shared/queue/boss.ts';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.ts';

let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase();
});
afterAll(async () => {
  await tdb.drop();
});

async function clientWith(names: StatementNames): Promise<pg.Client> {
  const Client = preparingClient(names);
  const client = new Client({ connectionString: tdb.url });
  await client.connect();
  return client;
}

/** This connection's prepared statements, read without naming the reading statement itself. */
async function prepared(client: pg.Client): Promise<string[]> {
  const { rows } = await client.query<{ statement: string }>({ text: 'select statement from pg_prepared_statements order by name', name: 'test.prepared' });
  return rows.map((r) => r.statement).filter((s) => !s.includes('pg_prepared_statements'));
}

test('a repeated text runs prepared from its second use on, with the same results, as a string or a config object', async () => {
  const client = await clientWith(new StatementNames());
  try {
    const text = 'select $1::int + 1 as n';
    expect((await client.query(text, [1])).rows).toEqual([{ n: 2 }]);
    expect(await prepared(client)).toEqual([]);
    expect((await client.query(text, [2])).rows).toEqual([{ n: 3 }]);
    expect((await client.query({ text, values: [3] })).rows).toEqual([{ n: 4 }]);
    expect(await prepared(client)).toEqual([text]);
    // A text without parameters (pg-boss inlines most of its values) is prepared too.
    const inline = "select 'ok' as v";
    await client.query(inline);
    expect((await client.query(inline)).rows).toEqual([{ v: 'ok' }]);
    expect(await prepared(client)).toEqual([text, inline]);
  } finally {
    await client.end();
  }
});

test('several statements in one text, and statements that are not queries, run as they came', async () => {
  const client = await clientWith(new StatementNames());
  try {
    for (let i = 0; i < 3; i++) {
      const results = (await client.query('select 1 as a; select 2 as b')) as unknown as pg.QueryResult[];
      expect(results.map((r) => r.rows[0])).toEqual([{ a: 1 }, { b: 2 }]);
      await client.query('begin');
      await client.query('commit');
    }
    expect(await prepared(client)).toEqual([]);
  } finally {
    await client.end();
  }
});

test('a prepared text whose table gained a column runs unnamed from then on, on the promise and the callback path', async () => {
  const names = new StatementNames();
  const pool = new pg.Pool({ connectionString: tdb.url, max: 1, Client: preparingClient(names) });
  try {
    await pool.query('create table stale_probe (a int)');
    await pool.query('insert into stale_probe values (1)');
    const text = 'select * from stale_probe where a = $1';
    await pool.query(text, [1]);
    expect((await pool.query(text, [1])).rows).toEqual([{ a: 1 }]);
    expect(names.nameFor(text)).toBe('gn_auto_0');

    await pool.query('alter table stale_probe add column b int');
    // pool.query hands pg the callback form; a bare pg.Client fails here with "cached plan must not change result type".
    expect((await pool.query(text, [1])).rows).toEqual([{ a: 1, b: null }]);
    expect(names.nameFor(text)).toBeUndefined();
    await pool.query('alter table stale_probe add column c int');
    expect((await pool.query(text, [1])).rows).toEqual([{ a: 1, b: null, c: null }]);

    const other = 'select a from stale_probe where a = $1 and true';
    const client = await pool.connect();
    try {
      await client.query(other, [1]);
      await client.query(other, [1]);
      await client.query('alter table stale_probe alter column a type bigint');
      // The promise path: pg reads bigint as a string.
      expect((await client.query(other, [1])).rows).toEqual([{ a: '1' }]);
    } finally {
      client.release();
    }
  } finally {
    await pool.end();
  }
});

test('at most maxNamed texts get a name; the rest keep running unnamed', async () => {
  const client = await clientWith(new StatementNames({ maxNamed: 2 }));
  try {
    for (let round = 0; round < 3; round++) {
      for (const k of [1, 2, 3]) expect((await client.query(`select $1::int * ${k} as n`, [round])).rows).toEqual([{ n: round * k }]);
    }
    expect(await prepared(client)).toEqual(['select $1::int * 1 as n', 'select $1::int * 2 as n']);
  } finally {
    await client.end();
  }
});

test('a query the caller named keeps its own name', async () => {
  const client = await clientWith(new StatementNames());
  try {
    for (let i = 0; i < 3; i++) await client.query({ name: 'mine', text: 'select $1::int as n', values: [i] });
    const { rows } = await client.query({ text: 'select name from pg_prepared_statements order by name', name: 'test.names' });
    expect(rows.map((r: { name: string }) => r.name)).toEqual(['mine', 'test.names']);
  } finally {
    await client.end();
  }
});

test("every connection of our pools, pg-boss's and MikroORM's runs without JIT compilation, on the promise and the callback path", async () => {
  // Postgres's default is on; the statement that showed it (a slot claim with 2 000 LoRAs) spent 112 ms compiling.
  const plain = new pg.Client({ connectionString: tdb.url });
  await plain.connect();
  expect((await plain.query('show jit')).rows[0].jit).toBe('on');
  await plain.end();
  const pool = createPool(tdb.url, { max: 2 });
  const boss = await startBoss(tdb.url, { supervise: false, max: 2 });
  try {
    expect((await pool.query('show jit')).rows[0].jit).toBe('off');
    expect((await boss.getDb().executeSql('show jit')).rows[0].jit).toBe('off');
    const Client = preparingClient(new StatementNames());
    const viaCallback = new Client({ connectionString: tdb.url });
    await new Promise<void>((resolve, reject) => viaCallback.connect((err: Error | null) => (err ? reject(err) : resolve())));
    expect((await viaCallback.query('show jit')).rows[0].jit).toBe('off');
    await viaCallback.end();
    // The admin API's MikroORM connections start the same way.
    const orm = await createOrm(tdb.url);
    try {
      expect(await orm.em.getConnection().execute('show jit')).toEqual([{ jit: 'off' }]);
    } finally {
      await orm.close();
    }
  } finally {
    await boss.stop({ graceful: false });
    await pool.end();
  }
});
