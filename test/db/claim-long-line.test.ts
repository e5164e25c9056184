import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { asDb } from '#shared/db/pool.ts';
import { GenerationRepository } from '#shared/db/repositories/generation-repository.ts';
import { claimNextWaiting } from '#scheduler/placement.ts';
import { generationInput } from '../support/generation-fixture.ts';
import { databaseWithBoss } from '../support/database-with-boss.ts';

// A claim reads the line per checkpoint a free instance has, so 20 000 requests that no instance can
// run are never walked, whatever plan the claim function settled on (a generic one, made once per
// connection with the statistics of the moment).
const world = databaseWithBoss();
let pool: pg.Pool;

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: world.tdb.url, max: 1 });
});
afterAll(async () => {
  await pool?.end();
});

/** Rows of `generation` this connection has read (sequential and by index), its statistics flushed first. */
async function generationRowsRead(): Promise<number> {
  await pool.query('select pg_stat_force_next_flush()');
  await pool.query('select pg_stat_clear_snapshot()');
  const { rows } = await pool.query(`select coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) as n from pg_stat_user_tables where relname = 'generation'`);
  return Number(rows[0].n);
}

test('a claim with 20 000 waiting requests no instance can run reads a handful of generation rows, not the line', async () => {
  const { rows } = await world.tdb.pool.query(`insert into comfy_instance (name, base_url, max_queue_depth) values ('a', 'http://a:8188', 2) returning id`);
  const instance = rows[0].id as number;
  await world.tdb.pool.query(`insert into model (kind, file_name, display_name, instance_ids) values ('checkpoint', 'base.safetensors', 'Base', $1), ('checkpoint', 'nowhere.safetensors', 'Nowhere', '[999]')`, [JSON.stringify([instance])]);
  const repo = new GenerationRepository(asDb(world.tdb.pool));
  const seed = await repo.create(generationInput({ checkpoint: 'nowhere.safetensors', chargedAt: new Date() }));
  const columns = (await world.tdb.pool.query(`select string_agg(quote_ident(column_name), ', ') as c from information_schema.columns
    where table_schema = current_schema() and table_name = 'generation' and column_name not in ('id', 'user_id') and is_generated = 'NEVER'`)).rows[0].c as string;
  await world.tdb.pool.query(
    `insert into generation (id, user_id, ${columns}) select gen_random_uuid(), (100000000000000000 + i)::text, ${columns}
      from generation, generate_series(1, 20000) i where id = $1`,
    [seed.id],
  );
  await world.tdb.pool.query('analyze generation');
  await claimNextWaiting(pool, randomUUID()); // the claim function exists and this connection has planned it
  const runnable = await repo.create(generationInput({ checkpoint: 'base.safetensors', chargedAt: new Date() }));
  const before = await generationRowsRead();
  const claim = await claimNextWaiting(pool, randomUUID());
  const read = (await generationRowsRead()) - before;
  expect(claim?.generation.id).toBe(runnable.id);
  expect(read).toBeLessThan(200);
});
