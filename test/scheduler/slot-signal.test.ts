import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { asDb } from '#shared/db/pool.ts';
import { GenerationRepository } from '#shared/db/repositories/generation-repository.ts';
import { requestCancel } from '#shared/generation/cancel.ts';
import { startBoss } from '#shared/queue/boss.ts';
import { wakeGenerate } from '#shared/queue/wake.ts';
import { SlotSignal } from '#scheduler/generation/slot-signal.ts';
import { generationInput } from '../support/generation-fixture.ts';
import { testLogger } from '../support/scheduler-context.ts';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.ts';

let tdb: TestDatabase;
let slots: SlotSignal;
// Far beyond the test timeout: a wait that ends did so because of a notification.
const never = 10 * 60_000;

beforeAll(async () => {
  tdb = await createTestDatabase();
  slots = new SlotSignal(tdb.url, testLogger);
  await slots.listen();
});
afterAll(async () => {
  await slots.close();
  await tdb.drop();
});

/** A notification of an earlier test still on its way would be a second wake-up: returns once none has arrived for 300 ms. */
async function untilQuiet(): Promise<void> {
  for (let before = -1; before !== slots.version; ) {
    before = slots.version;
    await new Promise((r) => setTimeout(r, 300));
  }
}

async function woken(action: () => Promise<unknown>): Promise<void> {
  const seen = slots.version;
  const waiting = slots.wait(seen, never, new AbortController().signal);
  await action();
  await waiting;
  expect(slots.version).toBeGreaterThan(seen);
}

describe('SlotSignal: waiting workers sleep on LISTEN, not on a poll', () => {
  test('a generation leaving running wakes them', { timeout: 10_000 }, async () => {
    const repo = new GenerationRepository(asDb(tdb.pool));
    const g = await repo.create(generationInput());
    await repo.transition(g.id, 'running', { comfyPromptId: crypto.randomUUID() }, ['queued']);
    await woken(() => repo.transition(g.id, 'succeeded', {}, ['running']));
  });

  test('an instance changing (enabled, health, depth) wakes them', { timeout: 10_000 }, async () => {
    await tdb.pool.query(`insert into comfy_instance (name, base_url) values ('a', 'http://127.0.0.1:9')`);
    await woken(() => tdb.pool.query(`update comfy_instance set max_queue_depth = 3`));
  });

  test('new generate work (the wake-up after an enqueue) wakes them', { timeout: 10_000 }, async () => {
    await woken(async () => wakeGenerate(tdb.pool));
  });

  test('a signal no waiter takes goes to the fetcher (one idle pg-boss worker fetches); one a waiter takes does not', { timeout: 10_000 }, async () => {
    await untilQuiet();
    let fetches = 0;
    slots.fetcher = () => fetches++;
    try {
      const seen = slots.version;
      wakeGenerate(tdb.pool);
      while (slots.version === seen) await new Promise((r) => setTimeout(r, 10));
      expect(fetches).toBe(1);
      await woken(async () => wakeGenerate(tdb.pool));
      expect(fetches).toBe(1);
    } finally {
      slots.fetcher = undefined;
    }
  });

  test('after a claim found nothing, a claim may be skipped until the next signal (one during that claim counts)', { timeout: 10_000 }, async () => {
    await untilQuiet();
    const before = slots.version;
    slots.nothingToClaimAt(before);
    expect(slots.mayClaim).toBe(false);
    await woken(async () => wakeGenerate(tdb.pool));
    expect(slots.mayClaim).toBe(true);
    // A signal that came while the claim ran: the claim read the older version, so it does not count as nothing.
    slots.nothingToClaimAt(before);
    expect(slots.mayClaim).toBe(true);
  });

  test('a signal between reading the version and waiting is not lost', { timeout: 10_000 }, async () => {
    const seen = slots.version;
    await tdb.pool.query(`update comfy_instance set max_queue_depth = 2`);
    while (slots.version === seen) await new Promise((r) => setTimeout(r, 10));
    await slots.wait(seen, never, new AbortController().signal);
  });

  test('a signal wakes one sleeping waiter, not the herd; a successful claim passes it on to the next', { timeout: 10_000 }, async () => {
    await untilQuiet();
    const seen = slots.version;
    const woke: number[] = [];
    const aborts = [0, 1, 2].map(() => new AbortController());
    const waits = aborts.map((a, i) => slots.wait(seen, never, a.signal).then(() => woke.push(i)));
    await tdb.pool.query(`update comfy_instance set max_queue_depth = 3`);
    while (woke.length === 0) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 200));
    expect(woke).toEqual([0]);
    slots.passOn();
    while (woke.length < 2) await new Promise((r) => setTimeout(r, 10));
    expect(woke).toEqual([0, 1]);
    aborts[2]!.abort();
    await Promise.all(waits);
  });

  test("a waiting request's cancel wakes every waiter (the one whose request it was must see it), not one", { timeout: 10_000 }, async () => {
    await untilQuiet();
    const seen = slots.version;
    const woke: number[] = [];
    const waits = [0, 1, 2].map((i) => slots.wait(seen, never, new AbortController().signal).then(() => woke.push(i)));
    const repo = new GenerationRepository(asDb(tdb.pool));
    const g = await repo.create(generationInput());
    const boss = await startBoss(tdb.url, { supervise: false });
    try {
      await requestCancel(tdb.pool, boss, g.id);
    } finally {
      await boss.stop({ graceful: false });
    }
    await Promise.all(waits);
    expect(woke.toSorted()).toEqual([0, 1, 2]);
  });

  test('a generation that stays queued, or progress on a running one, wakes nobody', { timeout: 10_000 }, async () => {
    const repo = new GenerationRepository(asDb(tdb.pool));
    const g = await repo.create(generationInput());
    await repo.transition(g.id, 'running', { comfyPromptId: crypto.randomUUID() }, ['queued']);
    const seen = slots.version;
    await tdb.pool.query(`update generation set progress = 0.5 where id = $1`, [g.id]);
    await slots.wait(seen, 300, new AbortController().signal);
    expect(slots.version).toBe(seen);
  });
});
