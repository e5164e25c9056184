import type { PgBoss } from 'pg-boss';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { NewGeneration } from '#shared/db/repositories/generation-repository.ts';
import { enqueueGeneration } from '#shared/generation/enqueue.ts';
import { enqueueMany } from '#shared/generation/enqueue-many.ts';
import { Limiter } from '#shared/limits/limiter.ts';
import { startBoss } from '#shared/queue/boss.ts';
import { IdleWorkers } from '#scheduler/generation/idle-workers.ts';
import { SlotSignal } from '#scheduler/generation/slot-signal.ts';
import { testLogger } from '../support/scheduler-context.ts';
import { jobInsertSql } from '#shared/queue/job-insert-sql.ts';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.ts';
import { generationInput } from '../support/generation-fixture.ts';

let tdb: TestDatabase;
let boss: PgBoss;

beforeAll(async () => {
  tdb = await createTestDatabase();
  boss = await startBoss(tdb.url, { supervise: false });
});
afterAll(async () => {
  await boss.stop({ graceful: false });
  await tdb.drop();
});

function input(overrides: Partial<NewGeneration> = {}): NewGeneration {
  return generationInput({ prompt: 'a cat', width: 512, height: 512, seed: '18446744073709551615', steps: 20, ...overrides });
}

async function countJobs(generationId: string): Promise<number> {
  const { rows } = await tdb.pool.query(`select count(*)::int as n from pgboss.job where name = 'generate' and data->>'generationId' = $1`, [generationId]);
  return rows[0].n;
}

describe('enqueueGeneration', () => {
  test('row and job commit together, and positions count the line', async () => {
    const a = await enqueueGeneration(tdb.pool, boss, input());
    const b = await enqueueGeneration(tdb.pool, boss, input({ userId: '100000000000000002' }));
    expect(a.position).toBe(1);
    expect(b.position).toBe(2);
    expect(await countJobs(a.generation.id)).toBe(1);
    const job = await boss.getJobById('generate', a.jobId);
    expect(job?.data).toEqual({ generationId: a.generation.id });
  });

  test("pg-boss's insert statement for the generate queue can be embedded: the enqueue is one statement", async () => {
    // Null would send every enqueue down the transaction of several round trips (a pg-boss upgrade that changed its statement).
    const sql = await jobInsertSql(boss, 'generate');
    expect(sql).toMatchObject({ notify: false, insert: expect.stringMatching(/^\s*insert into pgboss\.\w+/i) });
    const a = await enqueueGeneration(tdb.pool, boss, input({ userId: '100000000000000055' }));
    const job = await boss.getJobById('generate', a.jobId);
    expect(job).toMatchObject({ data: { generationId: a.generation.id }, retryLimit: 3, deadLetter: 'generate-dead', priority: 0 });
    expect(a.generation.chargedAt).toBeInstanceOf(Date);
  });

  test('a user twice in one enqueueMany takes the transaction (the limiter checks them one after another): both queued, priorities 0 and -1', async () => {
    const twice = '100000000000000066';
    const items = [input({ userId: twice }), input({ userId: '100000000000000067' }), input({ userId: twice })].map((g) => ({ input: g, roleIds: [] }));
    const results = await enqueueMany(tdb.pool, boss, Limiter.unlimited(), items);
    const queued = results.map((r) => (r instanceof Error ? r : r.jobId));
    const { rows } = await tdb.pool.query<{ id: string; priority: number }>(`select id, priority from pgboss.job where id = any($1::uuid[])`, [queued]);
    const priority = new Map(rows.map((r) => [r.id, r.priority]));
    expect(queued.map((id) => priority.get(id as string))).toEqual([0, 0, -1]);
    expect((await tdb.pool.query(`select count(*)::int as n from generation where id = any($1::uuid[])`, [items.map((i) => i.input.id)])).rows[0].n).toBe(3);
  });

  test('an invalid row (bad seed) creates no job, and the limiter\'s consume is rolled back with it', async () => {
    const g = input({ userId: '100000000000000077', seed: '99999999999999999999' });
    await expect(enqueueGeneration(tdb.pool, boss, g)).rejects.toMatchObject({ code: 'validation_failed' });
    const { rowCount } = await tdb.pool.query('select 1 from generation where id = $1', [g.id]);
    expect(rowCount).toBe(0);
    expect(await countJobs(g.id)).toBe(0);
    expect((await tdb.pool.query(`select 1 from user_usage where user_id = $1`, [g.userId])).rowCount).toBe(0);
  });

  test('50 concurrent enqueues make 50 rows and 50 jobs', async () => {
    const inputs = Array.from({ length: 50 }, (_, i) => input({ userId: `1000000000000001${String(i).padStart(2, '0')}` }));
    const results = await Promise.all(inputs.map((g) => enqueueGeneration(tdb.pool, boss, g)));
    expect(new Set(results.map((r) => r.jobId)).size).toBe(50);
    const { rows } = await tdb.pool.query(
      `select count(*)::int as n from pgboss.job j join generation g on g.id = (j.data->>'generationId')::uuid where g.id = any($1::uuid[])`,
      [inputs.map((g) => g.id)],
    );
    expect(rows[0].n).toBe(50);
  });
});

describe('fair priority', () => {
  test("a user's k-th waiting request gets priority -k; others start at 0", async () => {
    await tdb.pool.query(`update generation set status = 'cancelled'`);
    const heavy = [];
    for (let i = 0; i < 3; i++) heavy.push(await enqueueGeneration(tdb.pool, boss, input({ userId: '100000000000000999' })));
    const light = await enqueueGeneration(tdb.pool, boss, input({ userId: '100000000000000998' }));
    const priorities = async (ids: string[]) =>
      (await tdb.pool.query(`select priority from pgboss.job where id = any($1::uuid[]) order by created_on`, [ids])).rows.map((r) => r.priority);
    expect(await priorities(heavy.map((h) => h.jobId))).toEqual([0, -1, -2]);
    expect(await priorities([light.jobId])).toEqual([0]);
  });
});

describe('ensureQueues', () => {
  test('a second process starting against existing queues updates them without error', async () => {
    const second = await startBoss(tdb.url, { supervise: false });
    await second.stop({ graceful: false });
    const generate = await boss.getQueue('generate');
    expect(generate).toMatchObject({ retryLimit: 3, heartbeatSeconds: 10, deadLetter: 'generate-dead' });
  });
});

describe('wakeGenerate', () => {
  test.each([true, false])('one of several workers polling only every 30 s gets a new generate job at once: the enqueue wakes one idle worker (SlotSignal → IdleWorkers), not all (NOTIFY in the enqueue\'s statement: %s)', async (announceWithCommit) => {
    await tdb.pool.query(`update generation set status = 'cancelled'`);
    await tdb.pool.query(`delete from pgboss.job where name = 'generate'`);
    const slots = new SlotSignal(tdb.url, testLogger);
    await slots.listen();
    const idle = new IdleWorkers(boss, 'generate');
    slots.fetcher = () => void idle.wakeOne();
    const seen = new Promise<string>((resolve) => {
      void boss.work('generate', { pollingIntervalSeconds: 30, notifyPollingIntervalSeconds: 30, localConcurrency: 3 }, async ([job]) => {
        resolve((job!.data as { generationId: string }).generationId);
      });
    });
    // let the workers' first (empty) fetches happen, so only a wake-up can bring the job in time
    await new Promise((r) => setTimeout(r, 300));
    const fetchedBefore = new Map(boss.getWipData().filter((w) => w.name === 'generate').map((w) => [w.id, w.lastFetchedOn]));
    expect(fetchedBefore.size).toBe(3);
    const { generation } = await enqueueGeneration(tdb.pool, boss, input(), { announceWithCommit });
    const picked = await Promise.race([seen, new Promise<string>((_, reject) => setTimeout(() => reject(new Error('not woken')), 5000))]);
    expect(picked).toBe(generation.id);
    await new Promise((r) => setTimeout(r, 200));
    const refetched = boss.getWipData().filter((w) => w.name === 'generate' && w.lastFetchedOn !== fetchedBefore.get(w.id));
    expect(refetched).toHaveLength(1);
    await boss.offWork('generate');
    await slots.close();
  });
});
