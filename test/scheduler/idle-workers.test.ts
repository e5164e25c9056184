import { expect, test } from 'vitest';
import { IdleWorkers } from '#scheduler/generation/idle-workers.ts';
import { databaseWithBoss } from '../support/database-with-boss.ts';

const world = databaseWithBoss();

const fetchedAt = () => new Map(world.boss.getWipData().filter((w) => w.name === 'generate').map((w) => [w.id, w.lastFetchedOn]));
const refetched = (before: Map<string, number | null>) => [...fetchedAt()].filter(([id, at]) => at !== before.get(id)).map(([id]) => id);

test('wakes one idle worker per call, never one still on its way, and the same one again once it has fetched', async () => {
  await world.boss.work('generate', { pollingIntervalSeconds: 30, notifyPollingIntervalSeconds: 30, localConcurrency: 3 }, async () => {});
  await expect.poll(() => [...fetchedAt().values()].every((at) => at !== null)).toBe(true);
  const idle = new IdleWorkers(world.boss, 'generate');

  const before = fetchedAt();
  expect(idle.wakeOne()).toBe(true);
  expect(idle.wakeOne()).toBe(true);
  // Two calls before either fetched: two different workers, not the first one twice.
  await expect.poll(() => refetched(before).length).toBe(2);

  // Both fetched (nothing): they may be woken again; the third, never woken, comes first in no particular order.
  const again = fetchedAt();
  expect(idle.wakeOne()).toBe(true);
  expect(idle.wakeOne()).toBe(true);
  expect(idle.wakeOne()).toBe(true);
  await expect.poll(() => refetched(again).length).toBe(3);
  await world.boss.offWork('generate');
});

test.each([
  { behindBusy: true, fetchedWithin: true },
  { behindBusy: false, fetchedWithin: false },
])('with every worker busy, behindBusy $behindBusy: the job announced meanwhile is fetched as the batch ends rather than at the next poll: $fetchedWithin', async ({ behindBusy, fetchedWithin }) => {
  const queue = 'thumbnail';
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  const seen: string[] = [];
  await world.boss.work(queue, { pollingIntervalSeconds: 30, notifyPollingIntervalSeconds: 30, localConcurrency: 1, batchSize: 4 }, async (jobs) => {
    for (const job of jobs) seen.push((job.data as { n: string }).n);
    if (seen.length === 1) await held;
  });
  try {
    const idle = new IdleWorkers(world.boss, queue, { behindBusy });
    await expect.poll(() => world.boss.getWipData().some((w) => w.name === queue && w.lastFetchedOn !== null)).toBe(true);
    await world.boss.send(queue, { n: 'first' });
    expect(idle.wakeOne()).toBe(true);
    await expect.poll(() => seen).toEqual(['first']);
    await world.boss.send(queue, { n: 'second' });
    // The only worker holds 'first': nobody idle to wake.
    expect(idle.wakeOne()).toBe(false);
    release();
    await new Promise((r) => setTimeout(r, 1500));
    expect(seen.includes('second')).toBe(fetchedWithin);
  } finally {
    release();
    await world.boss.offWork(queue);
  }
});

test('wakeOneSoon: every call until the wake-up shares it, one worker fetching once for all of them', async () => {
  await world.boss.work('generate', { pollingIntervalSeconds: 30, notifyPollingIntervalSeconds: 30, localConcurrency: 3 }, async () => {});
  await expect.poll(() => [...fetchedAt().values()].every((at) => at !== null)).toBe(true);
  const idle = new IdleWorkers(world.boss, 'generate');
  const before = fetchedAt();
  for (let i = 0; i < 5; i++) idle.wakeOneSoon(100);
  await new Promise((r) => setTimeout(r, 50));
  expect(refetched(before)).toEqual([]);
  await expect.poll(() => refetched(before).length).toBe(1);
  await new Promise((r) => setTimeout(r, 300));
  expect(refetched(before)).toHaveLength(1);
  // Stopped: a wake-up still to come is dropped.
  const again = fetchedAt();
  idle.wakeOneSoon(50);
  idle.stop();
  await new Promise((r) => setTimeout(r, 300));
  expect(refetched(again)).toEqual([]);
  await world.boss.offWork('generate');
});
