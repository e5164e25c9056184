import type pg from 'pg';

/**
 * Bench instrumentation, in the bench's own database only: records the wall-clock moment each
 * generation was given a slot (queued → running), with clock_timestamp(), i.e. when the claim
 * decided. generation.started_at is now(), the claim transaction's START, which can be long before
 * the decision when the claim waited for instance row locks; fair order must be judged on the decision.
 */
export async function installClaimClock(pool: pg.Pool): Promise<void> {
  await pool.query(`
    create table bench_claimed (id uuid primary key, at timestamptz not null);
    create function bench_claimed_at() returns trigger language plpgsql as $$
    begin
      insert into bench_claimed values (new.id, clock_timestamp()) on conflict (id) do nothing;
      return null;
    end $$;
    create trigger bench_claimed_at after update of status on generation
      for each row when (old.status = 'queued' and new.status = 'running') execute function bench_claimed_at();`);
}

/** The placed generations with their queue priority, creation and claim times (ms), for fairOrderViolations. */
export async function claimedRows(pool: pg.Pool): Promise<{ id: string; priority: number; createdAt: number; startedAt: number }[]> {
  const { rows } = await pool.query<{ id: string; priority: number; created: number; claimed: number }>(
    `select g.id, g.queue_priority as priority, extract(epoch from g.created_at) * 1000 as created, extract(epoch from c.at) * 1000 as claimed
       from generation g join bench_claimed c on c.id = g.id`,
  );
  return rows.map((r) => ({ id: r.id, priority: r.priority, createdAt: Number(r.created), startedAt: Number(r.claimed) }));
}
