import { afterAll, beforeAll, expect, test } from 'vitest';
import { asDb } from '#shared/db/pool.ts';
import { GenerationRepository } from '#shared/db/repositories/generation-repository.ts';
import { lineFront, type LineRow } from '#shared/db/sql/line.ts';
import { insertGeneration } from '#shared/db/sql/generations.ts';
import { linePlace, placeTitle } from '#shared/generation/line-place.ts';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.ts';
import { generationInput } from '../support/generation-fixture.ts';

let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase();
});
afterAll(async () => {
  await tdb.drop();
});

let arrivals = 0;
async function waiting(checkpoint: string, userId: string, priority: number, steps = 10): Promise<string> {
  const g = generationInput({ checkpoint, userId, steps });
  const stmt = insertGeneration({ ...g, queuePriority: priority });
  await tdb.pool.query(stmt.text, stmt.values);
  // One second apart, so the age order never depends on two inserts landing in the same millisecond.
  await tdb.pool.query(`update generation set created_at = timestamptz '2026-01-01' + $2 * interval '1 second' where id = $1`, [g.id, ++arrivals]);
  return g.id;
}

async function front(perInstance = 50): Promise<Map<string, LineRow>> {
  const stmt = lineFront(perInstance);
  return new Map((await tdb.pool.query<LineRow>(stmt.text, stmt.values)).rows.map((r) => [r.id, r]));
}

test('places count only requests served first (fair order) that compete for the same instances; the bound caps them', async () => {
  const [one, two] = (await tdb.pool.query<{ id: number }>(
    `insert into comfy_instance (name, base_url, health, avg_seconds_per_step) values ('a', 'http://a', 'healthy', 0.5), ('b', 'http://b', 'healthy', null) returning id`,
  )).rows.map((r) => r.id);
  // "only-a" is on instance a only, "only-b" on b only, "both" has no recorded instances (everywhere).
  await tdb.pool.query(
    `insert into model (kind, file_name, display_name, enabled, available, source, instance_ids) values
      ('checkpoint', 'only-a', 'only-a', true, true, 'manual', $1::jsonb), ('checkpoint', 'only-b', 'only-b', true, true, 'manual', $2::jsonb),
      ('checkpoint', 'both', 'both', true, true, 'manual', '[]'::jsonb)`,
    [JSON.stringify([one]), JSON.stringify([two])],
  );
  const heavy2 = await waiting('only-a', '100000000000000001', -1);
  const heavy3 = await waiting('only-a', '100000000000000001', -2);
  const light = await waiting('only-a', '100000000000000002', 0);
  const elsewhere = await waiting('only-b', '100000000000000003', 0);
  const anywhere = await waiting('both', '100000000000000004', 0);
  // Running on a: 10 steps, 40 % done.
  const running = generationInput({ checkpoint: 'only-a', steps: 10 });
  const ins = insertGeneration(running);
  await tdb.pool.query(ins.text, ins.values);
  await new GenerationRepository(asDb(tdb.pool)).transition(running.id, 'running', { comfyInstanceId: one, comfyPromptId: crypto.randomUUID(), progress: 0.4 });

  const rows = await front();
  const title = (id: string) => placeTitle(linePlace(rows.get(id)));
  // The light member's request passes the heavy member's 2nd and 3rd; the one for instance b
  // does not count in instance a's line (heavy2: light and anywhere ahead, not elsewhere); the one
  // that runs anywhere competes with both lines (light and elsewhere ahead of it).
  expect(title(light)).toBe('#1 in line');
  expect(title(elsewhere)).toBe('#1 in line');
  expect(title(anywhere)).toBe('#3 in line');
  expect(title(heavy2)).toBe('#3 in line');
  expect(title(heavy3)).toBe('#4 in line');
  // ETA on a (0.5 s/step): 6 steps left of the running one + its own 10.
  expect(linePlace(rows.get(light)).etaSeconds).toBeCloseTo((6 + 10) * 0.5);
  // Only b can run it and b has no measured speed yet.
  expect(linePlace(rows.get(elsewhere)).etaSeconds).toBeNull();

  // Bounded: with 2 per instance, requests behind the front of every instance that can run them are not computed: "50+".
  const small = await front(2);
  expect(small.has(heavy3)).toBe(false);
  expect(placeTitle(linePlace(small.get(heavy3)))).toBe('50+ ahead in line');

  // A draining instance takes no new work: what only it can run is not in the line's front.
  await tdb.pool.query('update comfy_instance set draining = true where id = $1', [two]);
  expect((await front()).has(elsewhere)).toBe(false);
});

test('alike instances (the same models) count as one line: their work, speeds and number are all counted', async () => {
  await tdb.pool.query('delete from generation; delete from model; delete from comfy_instance');
  const [c, d, e] = (await tdb.pool.query<{ id: number }>(
    `insert into comfy_instance (name, base_url, health, avg_seconds_per_step) values
      ('c', 'http://c', 'healthy', 1.0), ('d', 'http://d', 'healthy', 0.5), ('e', 'http://e', 'healthy', 2.0) returning id`,
  )).rows.map((r) => r.id);
  // c and d have the same models; e lacks "alike" and has "e-only".
  await tdb.pool.query(
    `insert into model (kind, file_name, display_name, enabled, available, source, instance_ids) values
      ('checkpoint', 'alike', 'alike', true, true, 'manual', $1::jsonb), ('checkpoint', 'e-only', 'e-only', true, true, 'manual', $2::jsonb)`,
    [JSON.stringify([c, d]), JSON.stringify([e])],
  );
  const repo = new GenerationRepository(asDb(tdb.pool));
  for (const [instance, progress] of [[c, 0.5], [d, 0], [e, 0]] as const) {
    const running = generationInput({ checkpoint: instance === e ? 'e-only' : 'alike', steps: 10 });
    const ins = insertGeneration(running);
    await tdb.pool.query(ins.text, ins.values);
    await repo.transition(running.id, 'running', { comfyInstanceId: instance, comfyPromptId: crypto.randomUUID(), progress });
  }
  const first = await waiting('alike', '100000000000000005', 0);
  const second = await waiting('alike', '100000000000000006', 0);
  const onE = await waiting('e-only', '100000000000000007', 0);

  const rows = await front();
  // Both alike instances run it: 5 + 10 steps left on them, their mean speed, and e's work not counted.
  expect(rows.get(first)).toMatchObject({ ahead: 0, instances: 2, busySteps: 15, secondsPerStep: 0.75 });
  expect(rows.get(second)).toMatchObject({ ahead: 1, aheadSteps: 10, instances: 2, busySteps: 15 });
  expect(rows.get(onE)).toMatchObject({ ahead: 0, instances: 1, busySteps: 10, secondsPerStep: 2 });
  // The bound is per instance as before: with one per instance, only the first of the alike line is in front.
  const small = await front(1);
  expect([...small.keys()].sort()).toEqual([first, onE].sort());
});
