import pg from 'pg';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { asDb } from '#shared/db/pool.ts';
import { GenerationRepository } from '#shared/db/repositories/generation-repository.ts';
import { markDelivered } from '#shared/db/sql/delivery.ts';
import { generationInput } from '../support/generation-fixture.ts';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.ts';

let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase();
});
afterAll(async () => {
  await tdb.drop();
});

test('markDelivered locks its rows in id order whatever the plan (as the thumbnail merge does), so the two never deadlock', async () => {
  const repo = new GenerationRepository(asDb(tdb.pool));
  // Stored in the opposite order of their ids: a scan in table order would meet the higher id first.
  const high = await repo.create(generationInput({ id: 'ffffffff-0000-4000-8000-000000000001' }));
  const low = await repo.create(generationInput({ id: '00000000-0000-4000-8000-000000000001' }));
  const holder = new pg.Client({ connectionString: tdb.url });
  const marker = new pg.Client({ connectionString: tdb.url });
  await Promise.all([holder.connect(), marker.connect()]);
  try {
    await holder.query('begin');
    await holder.query('select 1 from generation where id = $1 for update', [high.id]);
    // A plan that reads the table in its stored order, as a small or unanalysed table gets.
    await marker.query('set enable_indexscan = off; set enable_bitmapscan = off');
    const { text, values } = markDelivered([high.id, low.id]);
    const marking = marker.query(text, values);
    // It waits for the higher id only after taking the lower: the lower is locked now.
    await expect.poll(async () => {
      const probe = await tdb.pool.connect();
      try {
        await probe.query('begin');
        return await probe.query('select 1 from generation where id = $1 for update nowait', [low.id]).then(() => 'free', (err: { code?: string }) => err.code);
      } finally {
        await probe.query('rollback');
        probe.release();
      }
    }).toBe('55P03');
    await holder.query('commit');
    expect((await marking).rowCount).toBe(2);
  } finally {
    await Promise.all([holder.end(), marker.end()]);
  }
});
