import { randomUUID } from 'node:crypto';
import type { PgBoss } from 'pg-boss';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startBoss } from '#shared/queue/boss.ts';
import { sendDelivery } from '#shared/queue/send-delivery.ts';
import { sendLiveEdit } from '#shared/queue/send-live.ts';
import { sendJob } from '#shared/queue/send.ts';
import { registerJob } from '#scheduler/register-job.ts';
import type { GenerateContext } from '#scheduler/context.ts';
import { startDiscordSim, type DiscordSim } from '#sim/discord/index.ts';
import { createSchedulerContext } from '../support/scheduler-context.ts';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.ts';

let tdb: TestDatabase;
let boss: PgBoss;
let ctx: GenerateContext;
let discord: DiscordSim;

beforeAll(async () => {
  tdb = await createTestDatabase();
  boss = await startBoss(tdb.url, { supervise: false });
  discord = await startDiscordSim();
  ctx = await createSchedulerContext({ tdb, boss, discord });
});
afterAll(async () => {
  await boss.stop({ graceful: false });
  await discord.close();
  await tdb.drop();
});

test('a batched queue runs its batch concurrently and settles each job alone: one failure retries only itself', async () => {
  const ids = Array.from({ length: 4 }, () => randomUUID());
  const failing = ids[2]!;
  const started: string[] = [];
  let release!: () => void;
  const allStarted = new Promise<void>((r) => (release = r));
  for (const generationId of ids) await sendJob(boss, 'thumbnail', { generationId });
  await registerJob(ctx, {
    name: 'thumbnail',
    workOptions: () => ({ batchSize: 4, pollingIntervalSeconds: 0.5 }),
    async handle(_ctx, { generationId }) {
      started.push(generationId);
      if (started.length === ids.length) release();
      // Every job of the batch is running before any ends: they run side by side, not one by one.
      await allStarted;
      if (generationId === failing) throw new Error('this one fails');
    },
  });
  await allStarted;
  const states = async () => {
    const rows = (await tdb.pool.query<{ gid: string; state: string }>(`select data->>'generationId' as gid, state from pgboss.job where name = 'thumbnail'`)).rows;
    return Object.fromEntries(rows.map((r) => [r.gid, r.state]));
  };
  await expect.poll(states, { timeout: 10_000 }).toEqual(Object.fromEntries(ids.map((id) => [id, id === failing ? 'retry' : 'completed'])));
  await boss.offWork('thumbnail');
});

test('an ending is delivered ahead of waiting live edits of other messages', async () => {
  const waiting = Array.from({ length: 3 }, () => randomUUID());
  for (const id of waiting) await sendLiveEdit(boss, id);
  const ended = randomUUID();
  await sendDelivery(boss, ended, 'result');
  const [first] = await boss.fetch('deliver', { groupConcurrency: 1 });
  expect(first!.data).toMatchObject({ generationId: ended, kind: 'result' });
});

test("a batch's hooks run once around its jobs: one start with every payload, one end after all; a failing end retries the jobs that succeeded", async () => {
  const ids = Array.from({ length: 3 }, () => randomUUID());
  for (const generationId of ids) await sendJob(boss, 'thumbnail', { generationId });
  const events: string[] = [];
  let endFails = 1;
  await registerJob(ctx, {
    name: 'thumbnail',
    workOptions: () => ({ batchSize: 4, pollingIntervalSeconds: 0.5 }),
    batch: {
      start: (_ctx, payloads) => {
        events.push(`start ${payloads.map((p) => p.generationId).sort().join(',')}`);
        return Promise.resolve({ ran: [] as string[] });
      },
      end: (_ctx, { ran }) => {
        events.push(`end ${ran.sort().join(',')}`);
        return endFails-- > 0 ? Promise.reject(new Error('write lost')) : Promise.resolve();
      },
    },
    handle(_ctx, { generationId }, { batch }) {
      batch!.ran.push(generationId);
      return Promise.resolve();
    },
  });
  const states = async () => (await tdb.pool.query<{ state: string }>(`select state from pgboss.job where name = 'thumbnail' and data->>'generationId' = any($1)`, [ids])).rows.map((r) => r.state);
  await expect.poll(states, { timeout: 15_000 }).toEqual(['completed', 'completed', 'completed']);
  await boss.offWork('thumbnail');
  const all = ids.toSorted().join(',');
  expect(events.slice(0, 2)).toEqual([`start ${all}`, `end ${all}`]);
  // Retried after the failed end, and ran again (one batch or several).
  expect(events.filter((e) => e.startsWith('end')).length).toBeGreaterThanOrEqual(2);
  expect((await tdb.pool.query(`select count(*)::int as n from pgboss.job where name = 'thumbnail' and data->>'generationId' = any($1) and retry_count > 0`, [ids])).rows[0].n).toBe(3);
});

test('a cron queue polls only as a backstop: a job sent to it is woken by its NOTIFY and starts at once', async () => {
  let started = 0;
  // Its base poll stretched to the backstop's 30 s too: only the queue's NOTIFY can start the job
  // within the 5 s below (without one, pg-boss falls back to the base poll).
  await registerJob(ctx, { name: 'reap-stuck', workOptions: () => ({ pollingIntervalSeconds: 30 }), async handle() { started++; } });
  // Let the worker's first fetch (at registration) find nothing and go to sleep.
  await new Promise((r) => setTimeout(r, 1000));
  const sentAt = Date.now();
  await sendJob(boss, 'reap-stuck', {});
  await expect.poll(() => started, { timeout: 5_000, interval: 50 }).toBe(1);
  expect(Date.now() - sentAt).toBeLessThan(5_000);
  await boss.offWork('reap-stuck');
});
