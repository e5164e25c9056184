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
  const merge = mergeOutputs([{ generationId: g.id, updates }]);
  const { rows } = await tdb.pool.query<{ generationId: string; stored: number[] }>(merge.text, merge.values);
  expect(rows).toHaveLength(1);
  expect(rows[0]!.generationId).toBe(g.id);
  expect(rows[0]!.stored.sort()).toEqual([0, 2]);
  const after = (await tdb.pool.query(`select outputs from generation where id = $1`, [g.id])).rows[0].outputs;
  expect(after).toEqual([
    { index: 0, status: 'stored', path: 'p/0.png', thumbnails: thumbs },
    { index: 1, status: 'expired', path: null },
    { index: 2, status: 'failed', path: 'p/2.png', error: 'image could not be decoded' },
  ]);

  const gone = mergeOutputs([{ generationId: '00000000-0000-4000-8000-000000000000', updates: [{ index: 0 }] }]);
  expect((await tdb.pool.query(gone.text, gone.values)).rows).toEqual([]);
});

test('one statement merges into several generations, each its own changes; a generation gone answers no row', async () => {
  const ids = await Promise.all(
    [0, 1].map(async () => {
      const g = generationInput({});
      const insert = insertGeneration(g);
      await tdb.pool.query(insert.text, insert.values);
      await tdb.pool.query(`update generation set outputs = $2::jsonb where id = $1`, [g.id, JSON.stringify([{ index: 0, status: 'stored', path: `${g.id}/0.png` }])]);
      return g.id;
    }),
  );
  const gone = '00000000-0000-4000-8000-000000000001';
  const merge = mergeOutputs([
    { generationId: ids[0]!, updates: [{ index: 0, thumbnails: [{ path: 'first' }] }] },
    { generationId: gone, updates: [{ index: 0, thumbnails: [{ path: 'lost' }] }] },
    { generationId: ids[1]!, updates: [{ index: 0, thumbnails: [{ path: 'second' }] }] },
  ]);
  const { rows } = await tdb.pool.query<{ generationId: string; stored: number[] }>(merge.text, merge.values);
  expect(Object.fromEntries(rows.map((r) => [r.generationId, r.stored]))).toEqual({ [ids[0]!]: [0], [ids[1]!]: [0] });
  const outputs = (await tdb.pool.query<{ id: string; outputs: { thumbnails: { path: string }[] }[] }>(`select id, outputs from generation where id = any($1)`, [ids])).rows;
  expect(Object.fromEntries(outputs.map((r) => [r.id, r.outputs[0]!.thumbnails[0]!.path]))).toEqual({ [ids[0]!]: 'first', [ids[1]!]: 'second' });
});
