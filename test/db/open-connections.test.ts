import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createPool, openConnections } from '#shared/db/pool.ts';
import { startComfySim, type ComfySim } from '#sim/comfyui/index.ts';
import { startDiscordSim, type DiscordSim } from '#sim/discord/index.ts';
import { startSchedulerHarness } from '../support/scheduler-harness.ts';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.ts';

let tdb: TestDatabase;
let discord: DiscordSim;
let comfy: ComfySim;
beforeAll(async () => {
  tdb = await createTestDatabase();
  discord = await startDiscordSim();
  comfy = await startComfySim({ models: { checkpoints: ['base.safetensors'] } });
});
afterAll(async () => {
  await Promise.all([comfy.close(), discord.close()]);
  await tdb.drop();
});

/** Backends connected to the test database with this application_name. */
async function backendsOf(applicationName: string): Promise<number> {
  const { rows } = await tdb.pool.query<{ n: number }>('select count(*)::int as n from pg_stat_activity where datname = $1 and application_name = $2', [tdb.name, applicationName]);
  return rows[0]!.n;
}

test('openConnections opens the pool up to its max, leaves them idle, and a pool with min = max keeps them through its idle timeout', async () => {
  const kept = createPool(tdb.url, { min: 3, max: 3, idleTimeoutMillis: 30, application_name: 'gn-test-kept' });
  const dropped = createPool(tdb.url, { max: 3, idleTimeoutMillis: 30, application_name: 'gn-test-dropped' });
  try {
    // One already open and idle: the pool hands it out first, and the rest are opened beside it.
    await kept.query('select 1');
    await openConnections(kept);
    await openConnections(dropped);
    expect([kept.totalCount, kept.idleCount]).toEqual([3, 3]);
    expect(await backendsOf('gn-test-kept')).toBe(3);
    // Already open: nothing more is opened.
    await openConnections(kept);
    expect(kept.totalCount).toBe(3);
    await delay(200);
    expect(kept.totalCount).toBe(3);
    expect(await backendsOf('gn-test-kept')).toBe(3);
    expect(dropped.totalCount).toBe(0);
  } finally {
    await Promise.all([kept.end(), dropped.end()]);
  }
});

test('a scheduler has its slot-claim connections open when it has started, before any claim, and keeps idle connections for minutes', async () => {
  const h = await startSchedulerHarness({ tdb, discord, comfyUrls: [comfy.url] });
  try {
    const { claimPool, pool } = h.scheduler.context;
    expect(claimPool.totalCount).toBe(claimPool.options.max);
    expect(claimPool.idleCount).toBe(claimPool.options.max);
    // Not pg's 10 s: a new connection prepares every statement again.
    expect(pool.options.idleTimeoutMillis).toBe(5 * 60_000);
  } finally {
    await h.stop();
  }
});
