import { afterAll, beforeAll, expect, test } from 'vitest';
import { insertGeneration } from '#shared/db/sql/generations.ts';
import { mergeOutputs } from '#shared/db/sql/outputs.ts';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.ts';
import { generationInput } from '../support/generation-fixture.ts';

let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase();
});
afterAll(async () => {
  await tdb.drop();
});

test('thumbnails land only on outputs still stored; a generation gone takes none', async () => {
  const g = generationInput({});
  const insert = insertGeneration(g);
  await tdb.pool.query(insert.text, insert.values);
  const outputs = [
    { index: 0, status: 'stored', path: 'p/0.png' },
    { index: 1, status: 'expired', path: null },
    { index: 2, status: 'stored', path: 'p/2.png' },
  ];
  await tdb.pool.query(`update generation set outputs = $2::jsonb where id = $1`, [g.id, JSON.stringify(outputs)]);
  const thumbs = [{ size: 256, format: 'webp', path: 't' }];
  const updates: ({ index: number } & Record<string, unknown>)[] = [
    { index: 0, thumbnails: thumbs },
    { index: 1, thumbnails: thumbs },
    { index: 2, status: 'failed', error: 'image could not be decoded' },
  ];
  const merge = mergeOutputs(g.id, updates);
  const { rows } = await tdb.pool.query<{ stored: number[] }>(merge.text, merge.values);
  expect(rows[0]!.stored.sort()).toEqual([0, 2]);
  const after = (await tdb.pool.query(`select outputs from generation where id = $1`, [g.id])).rows[0].outputs;
  expect(after).toEqual([
    { index: 0, status: 'stored', path: 'p/0.png', thumbnails: thumbs },
    { index: 1, status: 'expired', path: null },
    { index: 2, status: 'failed', path: 'p/2.png', error: 'image could not be decoded' },
  ]);

  const gone = mergeOutputs('00000000-0000-4000-8000-000000000000', [{ index: 0 }]);
  expect((await tdb.pool.query(gone.text, gone.values)).rows).toEqual([]);
});
