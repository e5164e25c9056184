import pg from 'pg';
import type { PgBoss } from 'pg-boss';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { asDb, withTransaction } from '#shared/db/pool.ts';
import { GenerationRepository } from '#shared/db/repositories/generation-repository.ts';
import type { GenerationOutput } from '#shared/db/entities/generation.ts';
import { enqueueGeneration } from '#shared/generation/enqueue.ts';
import { Limiter } from '#shared/limits/limiter.ts';
import { noLimits } from '#shared/limits/policy.ts';
import { createLogger } from '#shared/logging.ts';
import { startBoss } from '#shared/queue/boss.ts';
import { succeedGenerationWithJob } from '#shared/db/sql/generations.ts';
import { jobInsertSql } from '#shared/queue/job-insert-sql.ts';
import { finalDeliveryPriority, sendDelivery } from '#shared/queue/send-delivery.ts';
import { deliverChannel } from '#shared/queue/wake.ts';
import { settleSucceeded } from '#scheduler/settle.ts';
import { generationInput } from '../support/generation-fixture.ts';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.ts';

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

const U = '100000000000000007';
const logger = createLogger({ level: 'silent' });
const outputs: GenerationOutput[] = [
  { index: 0, status: 'stored', path: 'a/0.png', bytes: 10, sha256: 'x', width: 8, height: 8 },
  { index: 1, status: 'failed', path: 'a/1.png', bytes: 10, sha256: 'y', error: 'image could not be read' },
];

test('a success in one statement: status and outputs, the limiter released once, storage healthy again, its result delivery with it', async () => {
  const limiter = new Limiter({ defaults: { ...noLimits, perDay: 10 }, maxWaiting: 0 });
  const { generation } = await enqueueGeneration(tdb.pool, boss, generationInput({ userId: U, batchSize: 2 }), { limiter });
  // A second active request of the same member: a release counted twice would show.
  await enqueueGeneration(tdb.pool, boss, generationInput({ userId: U, batchSize: 1 }), { limiter });
  const g = await withTransaction(tdb.pool, (db) => new GenerationRepository(db).transition(generation.id, 'running', {}, ['queued']));
  await tdb.pool.query(`update storage_health set failing_since = now() - interval '1 minute', last_error = 'disk full' where id = 1`);
  const usage = async () => (await tdb.pool.query(`select day_count as day, active from user_usage where user_id = $1`, [U])).rows[0];
  expect(await usage()).toEqual({ day: 3, active: 2 });

  expect(await settleSucceeded({ pool: tdb.pool, boss, logger }, g, outputs)).toBe(true);
  const row = await new GenerationRepository(asDb(tdb.pool)).get(g.id);
  expect(row).toMatchObject({ status: 'succeeded', progress: 1, outputs });
  expect(row.finishedAt).not.toBeNull();
  // A success keeps its images counted; only the active request is given back.
  expect(await usage()).toEqual({ day: 3, active: 1 });
  expect((await tdb.pool.query(`select failing_since from storage_health where id = 1`)).rows[0].failing_since).toBeNull();
  const jobs = (await tdb.pool.query(`select name, data from pgboss.job where name in ('thumbnail', 'deliver') and data->>'generationId' = $1 order by name`, [g.id])).rows;
  // The thumbnails are enqueued by that delivery (deliver.test.ts).
  expect(jobs).toEqual([{ name: 'deliver', data: { generationId: g.id, kind: 'result' } }]);

  // Settled again (a retried job, another scheduler): nothing changes, nothing is enqueued twice.
  expect(await settleSucceeded({ pool: tdb.pool, boss, logger }, g, outputs)).toBe(false);
  expect(await usage()).toEqual({ day: 3, active: 1 });
  expect((await tdb.pool.query(`select count(*)::int as n from pgboss.job where data->>'generationId' = $1 and name in ('thumbnail', 'deliver')`, [g.id])).rows[0].n).toBe(1);
});

test("pg-boss's insert for the deliver queue (woken on send) can be embedded, so a success is one statement that also wakes the deliver workers", async () => {
  // Null would send every success down the transaction of four statements (a pg-boss upgrade that changed its statement).
  const embedded = await jobInsertSql(boss, 'deliver');
  expect(embedded).toMatchObject({ notify: true, insert: expect.stringMatching(/^insert into pgboss\.\w+/i) });
  const { listener, heard } = await listenForDeliveries();
  const g = await runningGeneration('100000000000000008');
  expect(await settleSucceeded({ pool: tdb.pool, boss, logger }, g, outputs)).toBe(true);
  await expect.poll(() => heard).toContain(deliverChannel);
  await listener.end();
  const job = (await tdb.pool.query(`select priority, group_id, data from pgboss.job where name = 'deliver' and data->>'generationId' = $1`, [g.id])).rows;
  expect(job).toEqual([{ priority: finalDeliveryPriority, group_id: g.id, data: { generationId: g.id, kind: 'result' } }]);
});

test('a delivery job the insert skipped fails the whole statement: the generation stays running, the limiter untouched', async () => {
  const embedded = (await jobInsertSql(boss, 'deliver'))!;
  const { generation } = await enqueueGeneration(tdb.pool, boss, generationInput({ userId: '100000000000000009' }), { limiter: Limiter.unlimited() });
  const g = await withTransaction(tdb.pool, (db) => new GenerationRepository(db).transition(generation.id, 'running', {}, ['queued']));
  // A job id that already exists: pg-boss's ON CONFLICT DO NOTHING skips it.
  const taken = (await sendDelivery(boss, generation.id, 'progress'))!;
  const stmt = succeedGenerationWithJob(g.id, outputs, {
    insert: embedded, queue: 'deliver',
    jobs: JSON.stringify([{ id: taken, data: { generationId: g.id, kind: 'result' }, groupId: g.id }]),
  });
  await expect(tdb.pool.query(stmt.text, stmt.values)).rejects.toThrow(/division by zero/);
  expect((await new GenerationRepository(asDb(tdb.pool)).get(g.id)).status).toBe('running');
});

test('with a local wake-up, a success sends no NOTIFY (its commit does not queue behind other notifiers) and wakes this process once, after the commit', async () => {
  const { listener, heard } = await listenForDeliveries();
  const g = await runningGeneration('100000000000000009');
  const jobsAtWake: number[] = [];
  const deliverJobs = async () => (await tdb.pool.query(`select count(*)::int as n from pgboss.job where name = 'deliver' and data->>'generationId' = $1`, [g.id])).rows[0].n as number;
  const wakeDeliver = () => void deliverJobs().then((n) => jobsAtWake.push(n));
  expect(await settleSucceeded({ pool: tdb.pool, boss, logger }, g, outputs, { wakeDeliver })).toBe(true);
  await expect.poll(() => jobsAtWake).toEqual([1]);
  // A NOTIFY from that commit would have arrived by now (a later one on the same connection is heard after it).
  await tdb.pool.query(`select pg_notify('${deliverChannel}', 'marker')`);
  await expect.poll(() => heard.length).toBe(1);
  await listener.end();
  expect(await settleSucceeded({ pool: tdb.pool, boss, logger }, g, outputs, { wakeDeliver })).toBe(false);
  expect(jobsAtWake).toEqual([1]);
});

test("a success completes its generation's own generate job while that job waits unfetched, and leaves a job that was fetched to its worker", async () => {
  const jobState = async (id: string) => (await tdb.pool.query(`select state from pgboss.job where name = 'generate' and id = $1`, [id])).rows[0]?.state as string | undefined;
  const waitingJob = await enqueueGeneration(tdb.pool, boss, generationInput({ userId: '100000000000000010' }), { limiter: Limiter.unlimited() });
  const fetchedJob = await enqueueGeneration(tdb.pool, boss, generationInput({ userId: '100000000000000011' }), { limiter: Limiter.unlimited() });
  for (const e of [waitingJob, fetchedJob]) expect(e.jobId).toBe(e.generation.id);
  await tdb.pool.query(`update pgboss.job set state = 'active', started_on = now() where name = 'generate' and id = $1`, [fetchedJob.jobId]);
  for (const { generation } of [waitingJob, fetchedJob]) {
    const g = await withTransaction(tdb.pool, (db) => new GenerationRepository(db).transition(generation.id, 'running', {}, ['queued']));
    expect(await settleSucceeded({ pool: tdb.pool, boss, logger }, g, outputs)).toBe(true);
  }
  expect(await jobState(waitingJob.jobId)).toBe('completed');
  expect(await jobState(fetchedJob.jobId)).toBe('active');
});

/** The channels heard on deliverChannel, by a connection of its own. */
async function listenForDeliveries(): Promise<{ listener: pg.Client; heard: string[] }> {
  const listener = new pg.Client({ connectionString: tdb.url });
  await listener.connect();
  const heard: string[] = [];
  listener.on('notification', (n) => heard.push(n.channel));
  await listener.query(`listen ${deliverChannel}`);
  return { listener, heard };
}

/** A member's request, enqueued and marked running. */
async function runningGeneration(userId: string) {
  const { generation } = await enqueueGeneration(tdb.pool, boss, generationInput({ userId }), { limiter: Limiter.unlimited() });
  return withTransaction(tdb.pool, (db) => new GenerationRepository(db).transition(generation.id, 'running', {}, ['queued']));
}
