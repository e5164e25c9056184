import { randomUUID } from 'node:crypto';
import type { PgBoss } from 'pg-boss';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { asDb } from '#shared/db/pool.ts';
import { GenerationRepository } from '#shared/db/repositories/generation-repository.ts';
import { instanceColumns } from '#shared/db/sql/instances.ts';
import { startBoss } from '#shared/queue/boss.ts';
import { SlotSignal } from '#scheduler/generation/slot-signal.ts';
import { claimNextWaiting, type ClaimWaker, type OwnRead } from '#scheduler/placement.ts';
import { generationInput } from '../support/generation-fixture.ts';
import { testLogger } from '../support/scheduler-context.ts';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.ts';

let tdb: TestDatabase;
let boss: PgBoss;

beforeAll(async () => {
  tdb = await createTestDatabase();
  boss = await startBoss(tdb.url, { supervise: false }); // its schema: in-flight work joins pgboss.job
});
afterAll(async () => {
  await boss?.stop({ graceful: false });
  await tdb?.drop();
});
beforeEach(async () => {
  await tdb.pool.query('truncate generation, comfy_instance, queue_waiting restart identity cascade');
});

const repo = () => new GenerationRepository(asDb(tdb.pool));
const waiting = async () => (await tdb.pool.query(`select coalesce(sum(waiting), 0)::int as n from queue_waiting`)).rows[0].n as number;

async function addInstance(name: string): Promise<number> {
  const { rows } = await tdb.pool.query(`insert into comfy_instance (name, base_url, max_queue_depth) values ($1, $2, 2) returning id`, [name, `http://${name}:8188`]);
  return rows[0].id as number;
}

async function enqueue(overrides: Parameters<typeof generationInput>[0] = {}) {
  const g = await repo().create(generationInput({ chargedAt: new Date(), ...overrides }));
  await tdb.pool.query(`insert into queue_waiting (shard, waiting) values (0, 1) on conflict (shard) do update set waiting = queue_waiting.waiting + 1`);
  return g;
}

/** Counts the statements claims send through the pool (each is one round trip). */
async function statementsOf<T>(fn: () => Promise<T>): Promise<{ result: T; statements: number }> {
  const query = tdb.pool.query.bind(tdb.pool);
  let statements = 0;
  tdb.pool.query = ((...args: Parameters<typeof query>) => (statements++, query(...args))) as typeof tdb.pool.query;
  try {
    return { result: await fn(), statements };
  } finally {
    tdb.pool.query = query;
  }
}

describe('claimNextWaiting (one statement: the claim function)', () => {
  test('schedulers starting together on a database without the claim function each create it, without error', async () => {
    await addInstance('a');
    await tdb.pool.query(`do $$ declare f regprocedure; begin
      for f in select oid::regprocedure from pg_proc where proname like 'genonaut_claim_slot_%' loop execute 'drop function ' || f; end loop; end $$`);
    const claims = await Promise.all(Array.from({ length: 4 }, () => claimNextWaiting(tdb.pool, randomUUID())));
    expect(claims).toEqual([undefined, undefined, undefined, undefined]);
    // Its signature names no table's row type: migrations may still drop or recreate those tables.
    const { rows } = await tdb.pool.query(`select count(*)::int as n from pg_depend d join pg_proc p on p.oid = d.objid
      where p.proname like 'genonaut_claim_slot_%' and d.refobjid in ('generation'::regtype, 'comfy_instance'::regtype)`);
    expect(rows[0].n).toBe(0);
  });

  test('gives the most deserving request the slot, with its prompt id and the waiting count in the same commit, in one round trip', async () => {
    const instanceId = await addInstance('a');
    await claimNextWaiting(tdb.pool, randomUUID()); // the function exists from here on
    const later = await enqueue({ queuePriority: -1 });
    // Read back from the row's text form: quotes, parentheses, commas, backslashes and JSON survive.
    const first = await enqueue({ prompt: 'a "quoted" (lighthouse), back\\slash', loras: [{ name: 'detail.safetensors', strengthModel: 0.35, strengthClip: 1 }], cfg: 6.7 });
    await enqueue();
    expect(await waiting()).toBe(3);
    const jobId = randomUUID();
    const { result: claim, statements } = await statementsOf(() => claimNextWaiting(tdb.pool, jobId));
    expect(statements).toBe(1);
    expect(claim!.generation.id).toBe(first.id);
    expect(claim!.generation).toEqual(await repo().get(first.id));
    expect(claim!.generation).toMatchObject({ status: 'running', comfyInstanceId: instanceId, generateJobId: jobId, attempts: 1, progress: 0 });
    expect(claim!.generation.comfyPromptId).toMatch(/^[0-9a-f-]{36}$/);
    expect(claim!.generation.startedAt).toBeInstanceOf(Date);
    const instance = (await tdb.pool.query(`select ${instanceColumns} from comfy_instance where id = $1`, [instanceId])).rows[0];
    expect(claim!.instance).toEqual(instance);
    expect(await waiting()).toBe(2);
    expect((await repo().get(later.id)).status).toBe('queued');
  });

  test('nothing waiting: one round trip, nothing claimed', async () => {
    await addInstance('a');
    await claimNextWaiting(tdb.pool, randomUUID());
    const { result, statements } = await statementsOf(() => claimNextWaiting(tdb.pool, randomUUID()));
    expect([result, statements]).toEqual([undefined, 1]);
  });

  test('a claim that takes nothing hands back the caller\'s own generation as it is now (the read it saves); one that takes a slot does not', async () => {
    await addInstance('a');
    await claimNextWaiting(tdb.pool, randomUUID());
    const mine = await enqueue();
    const jobId = randomUUID();
    const own: OwnRead = { id: mine.id };
    const taken = await claimNextWaiting(tdb.pool, jobId, undefined, undefined, own);
    expect(taken?.generation.id).toBe(mine.id);
    expect(own.row).toBeUndefined();
    const { result, statements } = await statementsOf(() => claimNextWaiting(tdb.pool, randomUUID(), undefined, undefined, own));
    expect([result, statements]).toEqual([undefined, 1]);
    expect(own.row).toEqual(await repo().get(mine.id));
    expect(own.row).toMatchObject({ status: 'running', generateJobId: jobId });
    // Gone (erased): no row, so the caller reads it itself and learns so.
    const gone: OwnRead = { id: randomUUID(), row: own.row };
    expect(await claimNextWaiting(tdb.pool, randomUUID(), undefined, undefined, gone)).toBeUndefined();
    expect(gone.row).toBeUndefined();
  });

  test('an instance another claim holds is skipped; with every free one held, nothing is claimed (contended)', async () => {
    const a = await addInstance('a');
    const b = await addInstance('b');
    const g = await enqueue();
    const holder = await tdb.pool.connect();
    try {
      await holder.query('begin');
      await holder.query('select id from comfy_instance where id = $1 for update', [a]);
      const claim = await claimNextWaiting(tdb.pool, randomUUID());
      expect(claim).toMatchObject({ generation: { id: g.id }, instance: { id: b } });
      await enqueue();
      await holder.query('select id from comfy_instance where id = $1 for update', [b]);
      expect(await claimNextWaiting(tdb.pool, randomUUID())).toBeUndefined();
      await holder.query('commit');
      expect(await claimNextWaiting(tdb.pool, randomUUID())).toMatchObject({ instance: { id: a } });
    } finally {
      holder.release();
    }
  });

  test('an instance at its depth takes nothing more', async () => {
    const a = await addInstance('a');
    await tdb.pool.query('update comfy_instance set max_queue_depth = 1 where id = $1', [a]);
    const running = await enqueue();
    const waitingOne = await enqueue();
    // Placed with no generate job (counts as in flight whatever its job's state), committed by
    // someone else just before this claim: the instance is full.
    await tdb.pool.query(`update generation set status = 'running', comfy_instance_id = $2, comfy_prompt_id = gen_random_uuid() where id = $1`, [running.id, a]);
    expect(await claimNextWaiting(tdb.pool, randomUUID())).toBeUndefined();
    expect((await repo().get(waitingOne.id)).status).toBe('queued');
  });

  test('keep-ahead (a second prompt on a busy instance) only while more wait than there are instances taking work', async () => {
    const [a, b] = [await addInstance('a'), await addInstance('b')];
    const place = (id: string, instance: number) =>
      tdb.pool.query(`update generation set status = 'running', comfy_instance_id = $2, comfy_prompt_id = gen_random_uuid() where id = $1`, [id, instance]);
    await place((await enqueue()).id, a);
    await place((await enqueue()).id, b);
    // Both GPUs busy, two waiting (not more than the two instances): a second prompt queued on a busy
    // GPU could wait there while the other frees, so both stay in line.
    const first = await enqueue();
    const second = await enqueue();
    expect(await claimNextWaiting(tdb.pool, randomUUID())).toBeUndefined();
    // A third waiting: more than the instances, every GPU has work ahead of it; keep-ahead fills.
    await enqueue();
    expect((await claimNextWaiting(tdb.pool, randomUUID()))?.generation.id).toBe(first.id);
    // Two wait again: no more keep-ahead, but an idle instance still takes the next at once.
    expect(await claimNextWaiting(tdb.pool, randomUUID())).toBeUndefined();
    const c = await addInstance('c');
    expect(await claimNextWaiting(tdb.pool, randomUUID())).toMatchObject({ generation: { id: second.id }, instance: { id: c } });
  });

  test('the most deserving request is claimed even while another writer holds its row (it is waited for, not skipped)', async () => {
    await addInstance('a');
    await claimNextWaiting(tdb.pool, randomUUID());
    const light = await enqueue();
    const heavy = await enqueue({ queuePriority: -2 });
    const holder = await tdb.pool.connect();
    try {
      // As line-update does when it stores the places it computed: a short row lock on queued rows.
      await holder.query('begin');
      await holder.query('update generation set updated_at = now() where id = $1', [light.id]);
      const claiming = claimNextWaiting(tdb.pool, randomUUID());
      await new Promise((r) => setTimeout(r, 200));
      await holder.query('commit');
      expect((await claiming)!.generation.id).toBe(light.id);
      expect((await repo().get(heavy.id)).status).toBe('queued');
    } finally {
      holder.release();
    }
  });

  test('a claim chosen as a deadlock victim runs again instead of failing its job (40P01 retried)', async () => {
    const a = await addInstance('a');
    await claimNextWaiting(tdb.pool, randomUUID());
    const g = await enqueue();
    const deadlocks = async () => Number((await tdb.pool.query(`select deadlocks from pg_stat_database where datname = current_database()`)).rows[0].deadlocks);
    const before = await deadlocks();
    const other = await tdb.pool.connect();
    try {
      // Another writer locks the request, then the instance: the opposite order of a claim. The claim
      // waits first, so its backend's deadlock check (deadlock_timeout, 1 s) finds the cycle and aborts
      // it, never this writer's (its own check is set far later).
      await other.query('begin');
      await other.query(`set local deadlock_timeout = '60s'`);
      await other.query('select 1 from generation where id = $1 for update', [g.id]);
      const claiming = claimNextWaiting(tdb.pool, randomUUID());
      await expect.poll(async () => (await tdb.pool.query(`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`)).rows[0].n, { timeout: 5000 }).toBe(1);
      await other.query('select 1 from comfy_instance where id = $1 for update', [a]);
      await other.query('commit');
      // The victim ran again: either it took the request (the writer committed first) or found the
      // instance still held and took nothing; it did not fail.
      const claim = await claiming;
      expect(claim === undefined || claim.generation.id === g.id).toBe(true);
      await expect.poll(deadlocks, { timeout: 5000 }).toBe(before + 1);
      expect((await claimNextWaiting(tdb.pool, randomUUID()) ?? claim)?.generation.id).toBe(g.id);
    } finally {
      other.release();
    }
  });

  test('a successful claim wakes the next waiter only while another slot may be free with work for it, or a signal came during it', async () => {
    const a = await addInstance('a');
    await addInstance('b');
    await tdb.pool.query('update comfy_instance set max_queue_depth = 1');
    let woken = 0;
    const waker: ClaimWaker = { version: 0, passOn: () => void woken++ };
    // Placed with no generate job: in flight whatever its job's state (see "at its depth").
    const place = (id: string, instance: number) =>
      tdb.pool.query(`update generation set status = 'running', generate_job_id = null, comfy_instance_id = $2 where id = $1`, [id, instance]);

    // Two free instances, two waiting: the first claim leaves a slot with work.
    await enqueue();
    await enqueue();
    const first = await claimNextWaiting(tdb.pool, randomUUID(), waker);
    await place(first!.generation.id, first!.instance.id);
    expect(woken).toBe(1);
    // One free instance left, one waiting: nothing more for anyone.
    const second = await claimNextWaiting(tdb.pool, randomUUID(), waker);
    await place(second!.generation.id, second!.instance.id);
    expect(woken).toBe(1);
    // Two free instances but one request: nothing more either.
    await tdb.pool.query(`update generation set status = 'succeeded'`);
    await enqueue();
    expect(await claimNextWaiting(tdb.pool, randomUUID(), waker)).toBeDefined();
    expect(woken).toBe(1);
    // One instance with room for two more, two waiting: the first claim leaves it room with work.
    await tdb.pool.query(`update generation set status = 'succeeded'`);
    await tdb.pool.query('update comfy_instance set enabled = (id = $1), max_queue_depth = 2', [a]);
    await enqueue();
    await enqueue();
    expect(await claimNextWaiting(tdb.pool, randomUUID(), waker)).toBeDefined();
    expect(woken).toBe(2);
    // A signal arrived while the claim ran (its snapshot may have missed it): passed on.
    let version = 0;
    const moving: ClaimWaker = { get version() { return version++; }, passOn: () => void woken++ };
    expect(await claimNextWaiting(tdb.pool, randomUUID(), moving)).toBeDefined();
    expect(woken).toBe(3);
    // Nothing claimed: nothing passed on (the caller's own wait looks again).
    expect(await claimNextWaiting(tdb.pool, randomUUID(), moving)).toBeUndefined();
    expect(woken).toBe(3);
  });

  test("a finished prompt handed to the claim frees its slot for that claim and wakes nobody; when it takes nothing, one waiter is woken", { timeout: 15_000 }, async () => {
    const a = await addInstance('a');
    await tdb.pool.query('update comfy_instance set max_queue_depth = 1');
    const slots = new SlotSignal(tdb.url, testLogger);
    await slots.listen();
    try {
      const finishing = await enqueue();
      const promptId = randomUUID();
      await tdb.pool.query(`update generation set status = 'running', comfy_instance_id = $2, comfy_prompt_id = $3 where id = $1`, [finishing.id, a, promptId]);
      const next = await enqueue();
      expect(await claimNextWaiting(tdb.pool, randomUUID())).toBeUndefined(); // full
      const quiet = async () => {
        for (let before = -1; before !== slots.version; ) {
          before = slots.version;
          await new Promise((r) => setTimeout(r, 300));
        }
        return slots.version;
      };

      let seen = await quiet();
      const claim = await claimNextWaiting(tdb.pool, randomUUID(), slots, { id: finishing.id, promptId });
      expect(claim!.generation.id).toBe(next.id);
      expect((await tdb.pool.query(`select finished_prompt_id from generation where id = $1`, [finishing.id])).rows[0].finished_prompt_id).toBe(promptId);
      await slots.wait(seen, 500, new AbortController().signal);
      expect(slots.version).toBe(seen);

      // The next one finishes with nothing left waiting: its slot is announced after all.
      await tdb.pool.query(`update generation set generate_job_id = null where id = $1`, [next.id]);
      seen = await quiet();
      expect(await claimNextWaiting(tdb.pool, randomUUID(), slots, { id: next.id, promptId: claim!.generation.comfyPromptId! })).toBeUndefined();
      await slots.wait(seen, 10 * 60_000, new AbortController().signal);
      expect(slots.version).toBeGreaterThan(seen);
    } finally {
      await slots.close();
    }
  });
});
