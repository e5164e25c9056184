import { randomUUID } from 'node:crypto';
import { beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { asDb } from '#shared/db/pool.ts';
import { GenerationRepository } from '#shared/db/repositories/generation-repository.ts';
import { claimLiveEdit, claimLiveEdits, saveLinePlaces, type LiveEditClaim } from '#shared/db/sql/line.ts';
import { databaseWithBoss } from '../support/database-with-boss.ts';
import { generationInput } from '../support/generation-fixture.ts';

// A deliver batch claims its live edits in one statement (claimLiveEdits): each generation must
// get the answer claimLiveEdit would have given it alone.

// With pg-boss: saveLinePlaces reads its jobs (a live edit already waiting).
const world = databaseWithBoss();
let repo: GenerationRepository;

beforeAll(() => {
  repo = new GenerationRepository(asDb(world.tdb.pool));
});
beforeEach(async () => {
  await world.tdb.pool.query('truncate generation cascade');
});

const gapMs = 1500;

async function claimAll(claims: { id: string; shown: string }[]): Promise<Map<string, LiveEditClaim>> {
  const stmt = claimLiveEdits(claims, gapMs);
  const rows = (await world.tdb.pool.query<LiveEditClaim & { id: string }>(stmt.text, stmt.values)).rows;
  return new Map(rows.map(({ id, ...claim }) => [id, claim]));
}

describe('claimLiveEdits', () => {
  test('claims each generation once per gap, never for what it shows already; the rest get what claimLiveEdit gives', async () => {
    const create = async () => (await repo.create(generationInput({ id: randomUUID() }))).id;
    const fresh = await create();
    const recent = await create();
    const same = await create();
    const old = await create();
    await world.tdb.pool.query(`update generation set live_edited_at = now(), live_shown = 'q:3' where id = $1`, [recent]);
    await world.tdb.pool.query(`update generation set live_edited_at = now() - interval '10 s', live_shown = 'q:2' where id = $1`, [same]);
    await world.tdb.pool.query(`update generation set live_edited_at = now() - interval '10 s', live_shown = 'q:5' where id = $1`, [old]);
    const gone = randomUUID();

    const claimed = await claimAll([
      { id: fresh, shown: 'q:1' }, { id: recent, shown: 'q:2' }, { id: same, shown: 'q:2' }, { id: old, shown: 'q:4' }, { id: gone, shown: 'q:1' },
    ]);

    expect(claimed.get(fresh)).toMatchObject({ claimed: true });
    expect(claimed.get(old)).toMatchObject({ claimed: true });
    expect(claimed.get(recent)).toMatchObject({ claimed: false, liveShown: 'q:3' });
    expect(claimed.get(recent)!.waitMs).toBeGreaterThan(1000);
    expect(claimed.get(same)).toMatchObject({ claimed: false, liveShown: 'q:2', waitMs: 0 });
    expect(claimed.has(gone)).toBe(false);
    const { rows } = await world.tdb.pool.query<{ id: string; shown: string }>('select id, live_shown as shown from generation');
    expect(Object.fromEntries(rows.map((r) => [r.id, r.shown]))).toEqual({ [fresh]: 'q:1', [recent]: 'q:3', [same]: 'q:2', [old]: 'q:4' });

    // Claimed just now: within the gap neither may be claimed again, alone or together.
    const again = await claimAll([{ id: fresh, shown: 'q:0' }]);
    expect(again.get(fresh)).toMatchObject({ claimed: false, liveShown: 'q:1' });
    const alone = claimLiveEdit(old, 'q:0', gapMs);
    expect((await world.tdb.pool.query<LiveEditClaim>(alone.text, alone.values)).rows[0]).toMatchObject({ claimed: false, liveShown: 'q:4' });
  });

  test('a row another transaction holds is not waited for: it comes back busy and unclaimed, the others are claimed', async () => {
    const held = (await repo.create(generationInput({ id: randomUUID() }))).id;
    const free = (await repo.create(generationInput({ id: randomUUID() }))).id;
    await whileRowHeld(held, async () => {
      const claimed = await claimAll([{ id: held, shown: 'q:1' }, { id: free, shown: 'q:1' }]);
      expect(claimed.get(held)).toMatchObject({ claimed: false, busy: true });
      expect(claimed.get(free)).toMatchObject({ claimed: true, busy: false });
    });
    expect((await world.tdb.pool.query('select live_shown from generation where id = $1', [held])).rows[0].live_shown).toBeNull();
  });
});

describe('saveLinePlaces', () => {
  test('stores the places of the waiting rows it can lock and returns those; a row another transaction holds is skipped, not waited for', async () => {
    const held = (await repo.create(generationInput({ id: randomUUID() }))).id;
    const free = (await repo.create(generationInput({ id: randomUUID() }))).id;
    const place = { ahead: 1, capped: false };
    await whileRowHeld(held, async () => {
      const stmt = saveLinePlaces([{ id: held, place }, { id: free, place }], 1500);
      const rows = (await world.tdb.pool.query<{ id: string }>(stmt.text, stmt.values)).rows;
      expect(rows.map((r) => r.id)).toEqual([free]);
    });
    const { rows } = await world.tdb.pool.query<{ id: string; place: unknown }>('select id, line_place as place from generation');
    expect(Object.fromEntries(rows.map((r) => [r.id, r.place]))).toEqual({ [held]: null, [free]: place });
  });
});

/** Runs `body` while another connection holds `id`'s row lock (as a slot claim taking it does); fails if `body` waits for it. */
async function whileRowHeld(id: string, body: () => Promise<void>): Promise<void> {
  const holder = await world.tdb.pool.connect();
  try {
    await holder.query('begin');
    await holder.query('select 1 from generation where id = $1 for update', [id]);
    await Promise.race([body(), new Promise((_, reject) => setTimeout(() => reject(new Error('waited for the held row')), 3000))]);
  } finally {
    await holder.query('rollback');
    holder.release();
  }
}

