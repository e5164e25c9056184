import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { parseConfig } from '#shared/config.ts';
import { asDb, type Db } from '#shared/db/pool.ts';
import { LocalStorage } from '#shared/storage/local-storage.ts';
import { cleanupJob, retentionBatch } from '#scheduler/jobs/cleanup.ts';
import type { SchedulerContext } from '#scheduler/context.ts';
import { jobHelpers } from '../support/scheduler-context.ts';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.ts';

// Retention at 100 000 outputs: by age and by total size, counting every SQL statement the job runs
// (the executor it is given, wrapped) — the count grows with the batches, never with outputs squared.

let tdb: TestDatabase;
let storage: LocalStorage;
const generations = 10_000;
const perGeneration = 10;
/** Each output: a 1000-byte original; output 0 also a 100-byte thumbnail. */
const largestOutput = 1100;
const total = generations * (perGeneration * 1000 + 100);

beforeAll(async () => {
  tdb = await createTestDatabase();
  storage = new LocalStorage(await mkdtemp(path.join(tmpdir(), 'gn-retention-')));
});
afterAll(async () => {
  await tdb?.drop();
});

/**
 * Generation i was created (generations - i) × 5 minutes ago (about 35 days for the oldest); output 0 of
 * every 10th is kept; every 1000th is still running. The files named do not exist, except `real`.
 */
beforeEach(async () => {
  await tdb.pool.query('truncate generation cascade');
  await tdb.pool.query(
    `insert into generation (id, user_id, channel_id, application_id, prompt, checkpoint, width, height, batch_size, seed, steps, cfg, sampler, scheduler,
       status, created_at, outputs)
     select gen_random_uuid(), '100000000000000001', '300000000000000001', '400000000000000001', 'p', 'base.safetensors', 64, 64, $2, 1, 4, 7, 'euler', 'normal',
       case when i % 1000 = 0 then 'running' else 'succeeded' end, now() - ($1 - i) * interval '5 minutes',
       (select jsonb_agg(jsonb_build_object('index', k, 'status', 'stored', 'path', 'x/' || i || '_' || k || '.png', 'bytes', 1000,
          'kept', (k = 0 and i % 10 = 0),
          'thumbnails', case when k = 0 then jsonb_build_array(jsonb_build_object('size', 256, 'format', 'webp', 'path', 'x/' || i || '_' || k || '.webp', 'bytes', 100)) else '[]'::jsonb end))
        from generate_series(0, $2 - 1) k)
     from generate_series(1, $1) i`,
    [generations, perGeneration],
  );
});

function jobContext(env: Record<string, string>): { ctx: SchedulerContext; statements: () => number } {
  const config = parseConfig('scheduler', {
    DATABASE_URL: tdb.url, DISCORD_TOKEN: 'test-token-0123456789', DISCORD_APPLICATION_ID: '400000000000000001', COMFYUI_URLS: 'http://127.0.0.1:9', STORAGE_DIR: storage.root, ...env,
  });
  const inner = asDb(tdb.pool);
  let count = 0;
  const db: Db = { executeSql: (text, values, name) => (count++, inner.executeSql(text, values, name)) };
  // The cleanup job uses only config, db and storage.
  return { ctx: { config, db, storage } as unknown as SchedulerContext, statements: () => count };
}

const storedBytes = async () =>
  Number((await tdb.pool.query(`select sum((o->>'bytes')::int + coalesce((o->'thumbnails'->0->>'bytes')::int, 0)) as n from generation g, jsonb_array_elements(outputs) o where o->>'status' = 'stored'`)).rows[0].n);
const stored = async (where: string) =>
  Number((await tdb.pool.query(`select count(*) as n from generation g, jsonb_array_elements(outputs) o where o->>'status' = 'stored' and ${where}`)).rows[0].n);

/** Statements the job may run: per batch of generations one, plus a fixed few (boundary, tokens, usage). */
const bound = (touchedGenerations: number) => Math.ceil(touchedGenerations / retentionBatch) + 6;

describe('retention at 100 000 outputs', () => {
  test('by age: everything older than the cutoff goes except kept outputs and running work, in a bounded number of statements', async () => {
    const realKey = 'x/1_1.png';
    const keptKey = 'x/10_0.png';
    await storage.put(realKey, Buffer.from('old'));
    await storage.put(keptKey, Buffer.from('kept'));
    const { ctx, statements } = jobContext({ RETENTION_DAYS: '20', STORAGE_MAX_GB: '0' });
    const oldGenerations = generations - (20 * 24 * 60) / 5;
    await cleanupJob.handle(ctx, {}, jobHelpers());

    expect(statements()).toBeLessThanOrEqual(bound(oldGenerations));
    const old = `g.created_at < now() - interval '20 days'`;
    expect(await stored(`${old} and g.status = 'succeeded' and not (o->>'kept')::boolean`)).toBe(0);
    expect(await stored(`${old} and (o->>'kept')::boolean and g.status = 'succeeded'`)).toBeGreaterThan(400);
    expect(await stored(`${old} and g.status = 'running'`)).toBe(Math.floor(oldGenerations / 1000) * perGeneration);
    expect(await stored(`g.created_at > now() - interval '19 days'`)).toBeGreaterThanOrEqual(((19 * 24 * 60) / 5) * perGeneration);
    const expired = (await tdb.pool.query(`select count(*) as n from generation, jsonb_array_elements(outputs) o where o->>'status' = 'expired' and o->'thumbnails' = '[]'::jsonb`)).rows[0].n;
    expect(Number(expired)).toBeGreaterThan(oldGenerations * perGeneration * 0.85);
    expect(await storage.stat(realKey)).toBeUndefined();
    expect(await storage.stat(keptKey)).toBeDefined();

    // A second run finds nothing more to do, in a few statements.
    const again = jobContext({ RETENTION_DAYS: '20', STORAGE_MAX_GB: '0' });
    await cleanupJob.handle(again.ctx, {}, jobHelpers());
    expect(again.statements()).toBeLessThanOrEqual(4);
  });

  test('by total size: the oldest unkept go first until what stays fits, computed once, in a bounded number of statements', async () => {
    expect(await storedBytes()).toBe(total);
    const cap = Math.floor(total / 2);
    const { ctx, statements } = jobContext({ RETENTION_DAYS: '0', STORAGE_MAX_GB: String(cap / 1024 ** 3) });
    await cleanupJob.handle(ctx, {}, jobHelpers());

    expect(statements()).toBeLessThanOrEqual(bound(generations));
    const left = await storedBytes();
    expect(left).toBeLessThanOrEqual(cap);
    // No more than needed: had the last one removed stayed, it would not fit.
    expect(left + largestOutput).toBeGreaterThan(cap);
    // Oldest first: no unkept finished output older than the newest one removed is still stored.
    const { rows } = await tdb.pool.query(`select max(g.created_at) as newest from generation g, jsonb_array_elements(outputs) o where o->>'status' = 'expired'`);
    expect(await stored(`g.created_at < '${(rows[0].newest as Date).toISOString()}' and g.status = 'succeeded' and not (o->>'kept')::boolean`)).toBe(0);
    // Kept outputs and running work are all still there.
    expect(await stored(`(o->>'kept')::boolean`)).toBe(generations / 10);
    expect(await stored(`g.status = 'running'`)).toBe((generations / 1000) * perGeneration);
  });
});
