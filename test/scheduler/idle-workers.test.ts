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
