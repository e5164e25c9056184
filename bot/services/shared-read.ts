import type { Db } from '#shared/db/pool.ts';

const inFlight = new WeakMap<Db, Map<string, Promise<unknown>>>();

/**
 * Identical reads in flight at the same moment share one query: a burst of /imagine asks the same
 * things of the database (the default checkpoint, the storage health), and each answer is at most
 * one round trip older than the request that joined it. Nothing is kept once the query returns.
 */
export function sharedRead<T>(db: Db, key: string, read: () => Promise<T>): Promise<T> {
  let running = inFlight.get(db);
  if (!running) inFlight.set(db, (running = new Map()));
  const shared = running.get(key);
  if (shared) return shared as Promise<T>;
  const query = read().finally(() => running.delete(key));
  running.set(key, query);
  return query;
}
