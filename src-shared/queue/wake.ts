import type pg from 'pg';
import { bossSchema } from './boss.ts';

// pg-boss's LISTEN channel for a schema (pg-boss plans.notifyChannelSql), computed by Postgres.
export const bossNotifyChannel = `('pgboss_' || left(encode(sha224('${bossSchema}'::bytea), 'hex'), 24))`;

// Per pool (one database each), per queue.
const inFlight = new WeakMap<pg.Pool, Map<string, { again: boolean; done: Promise<void> }>>();

/**
 * Wakes the workers of a queue now (they otherwise find new jobs on their next poll).
 *
 * Why not pg-boss's own notify-on-send: a NOTIFY inside a transaction makes Postgres serialise the
 * COMMITs of all notifying transactions (one global lock held through the WAL flush), so a burst of
 * 200 /imagine enqueues committed one by one. Sent after the commit instead, and coalesced (one in
 * flight per queue, plus at most one follow-up), a burst costs a handful of NOTIFYs.
 */
export function wakeQueue(pool: pg.Pool, queue: string): void {
  let queues = inFlight.get(pool);
  if (!queues) inFlight.set(pool, (queues = new Map()));
  const current = queues.get(queue);
  if (current) {
    current.again = true;
    return;
  }
  const entry = { again: false, done: Promise.resolve() };
  entry.done = (async () => {
    do {
      entry.again = false;
      // Waking is an optimisation (workers also poll), so a failure here is not an error.
      await pool.query(`select pg_notify(${bossNotifyChannel}, $1)`, [queue]).catch(() => undefined);
    } while (entry.again);
    queues.delete(queue);
  })();
  queues.set(queue, entry);
}
