import type pg from 'pg';
import { bossSchema } from './boss.ts';

// pg-boss's LISTEN channel for a schema (pg-boss plans.notifyChannelSql), computed by Postgres.
export const bossNotifyChannel = `('pgboss_' || left(encode(sha224('${bossSchema}'::bytea), 'hex'), 24))`;

/** Where schedulers hear that a slot may have freed or generate work arrived (scheduler SlotSignal). */
export const slotsChannel = 'genonaut_slots';

/**
 * Where a statement of ours that inserts `deliver` jobs (a live edit, a success with its result)
 * announces them: each scheduler process wakes ONE idle deliver worker (SlotSignal.deliverFetcher).
 * pg-boss's own announcement wakes every deliver worker of every process, and most of them fetch
 * nothing (13 fetches per generation in the GPU-farm bench).
 */
export const deliverChannel = 'genonaut_deliver';

/** The NOTIFY of new generate work (wakeGenerate's), as an SQL expression a statement may embed. */
export const newWorkNotify = `pg_notify('${slotsChannel}', 'new-work')`;

/** Prefix of the slot channel's payload that announces a running generation's cancel (`cancel:<id>`). */
export const cancelSignalPrefix = 'cancel:';

/**
 * The NOTIFY, as an SQL expression, that a statement inserting jobs of `queue` sends in place of
 * pg-boss's notify-on-send: deliver jobs on deliverChannel, the others on pg-boss's own channel.
 */
export function jobsInsertedNotify(queue: string): string {
  return queue === 'deliver' ? `pg_notify('${deliverChannel}', '')` : `pg_notify(${bossNotifyChannel}, '${queue.replace(/'/g, "''")}')`;
}

// Per pool (one database each), per notification.
const inFlight = new WeakMap<pg.Pool, Map<string, { again: boolean; done: Promise<void> }>>();

/**
 * New generate work, sent after the enqueue commits (a lone request's enqueue sends the same NOTIFY
 * in its own statement instead, see EnqueueManyOptions): tells every scheduler process (its
 * SlotSignal), which hands it to ONE worker: one waiting for a slot, else one idle pg-boss worker,
 * which fetches. Coalesced (one in flight per pool, plus at most one follow-up), so a burst costs a
 * handful of NOTIFYs; the claims that follow pass the wake-up on while slots and work remain.
 *
 * Why not pg-boss's own notify-on-send: a NOTIFY inside a transaction makes Postgres serialise the
 * COMMITs of all notifying transactions (one global lock held through the WAL flush), so a burst of
 * 200 /imagine enqueues committed one by one. Nor pg-boss's wake-up on its channel after the commit:
 * that makes every idle generate worker of every process fetch, for one new job.
 */
export function wakeGenerate(pool: pg.Pool): void {
  notifyCoalesced(pool, 'new-work', `select ${newWorkNotify}`, []);
}

function notifyCoalesced(pool: pg.Pool, key: string, sql: string, values: unknown[]): void {
  let pending = inFlight.get(pool);
  if (!pending) inFlight.set(pool, (pending = new Map()));
  const current = pending.get(key);
  if (current) {
    current.again = true;
    return;
  }
  const entry = { again: false, done: Promise.resolve() };
  entry.done = (async () => {
    do {
      entry.again = false;
      // Waking is an optimisation (workers also poll), so a failure here is not an error.
      await pool.query(sql, values).catch(() => undefined);
    } while (entry.again);
    pending.delete(key);
  })();
  pending.set(key, entry);
}
