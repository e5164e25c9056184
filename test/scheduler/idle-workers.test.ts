import type { PgBoss } from 'pg-boss';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startBoss } from '#shared/queue/boss.ts';
import { IdleWorkers } from '#scheduler/generation/idle-workers.ts';
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

const fetchedAt = () => new Map(boss.getWipData().filter((w) => w.name === 'generate').map((w) => [w.id, w.lastFetchedOn]));
const refetched = (before: Map<string, number | null>) => [...fetchedAt()].filter(([id, at]) => at !== before.get(id)).map(([id]) => id);

test('wakes one idle worker per call, never one still on its way, and the same one again once it has fetched', async () => {
  await boss.work('generate', { pollingIntervalSeconds: 30, notifyPollingIntervalSeconds: 30, localConcurrency: 3 }, async () => {});
  await expect.poll(() => [...fetchedAt().values()].every((at) => at !== null)).toBe(true);
  const idle = new IdleWorkers(boss, 'generate');

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
  await boss.offWork('generate');
});
