import { randomUUID } from 'node:crypto';
import { expect, test } from 'vitest';
import { sendLiveEdit } from '#shared/queue/send-live.ts';
import { IdleWorkers } from '#scheduler/generation/idle-workers.ts';
import { SlotSignal } from '#scheduler/generation/slot-signal.ts';
import { databaseWithBoss } from '../support/database-with-boss.ts';
import { testLogger } from '../support/scheduler-context.ts';

const world = databaseWithBoss();

test('a live edit wakes ONE idle deliver worker of the process at once (deliverChannel), not every one (pg-boss\'s own wake-up)', async () => {
  const slots = new SlotSignal(world.tdb.url, testLogger);
  await slots.listen();
  const idle = new IdleWorkers(world.boss, 'deliver');
  slots.deliverFetcher = () => void idle.wakeOne();
  const generationId = randomUUID();
  const seen = new Promise<string>((resolve) => {
    void world.boss.work('deliver', { pollingIntervalSeconds: 30, notifyPollingIntervalSeconds: 30, localConcurrency: 3, batchSize: 16 }, async (jobs) => {
      for (const job of jobs) resolve((job.data as { generationId: string }).generationId);
    });
  });
  try {
    // Every worker's first (empty) fetch done: only a wake-up can bring the job in time.
    const fetchedAt = () => new Map(world.boss.getWipData().filter((w) => w.name === 'deliver').map((w) => [w.id, w.lastFetchedOn]));
    await expect.poll(() => [...fetchedAt().values()].every((at) => at !== null)).toBe(true);
    const before = fetchedAt();
    await sendLiveEdit(world.boss, generationId);
    const picked = await Promise.race([seen, new Promise<string>((_, reject) => setTimeout(() => reject(new Error('not woken')), 5000))]);
    expect(picked).toBe(generationId);
    await new Promise((r) => setTimeout(r, 300));
    expect([...fetchedAt()].filter(([id, at]) => at !== before.get(id))).toHaveLength(1);
  } finally {
    await world.boss.offWork('deliver');
    await slots.close();
  }
});
