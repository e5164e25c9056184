import type { PgBoss, SendOptions } from 'pg-boss';
import type { Db } from '#shared/db/pool.ts';
import { parsePayload, type JobPayload, type QueueName } from './contracts.ts';

export interface TypedSendOptions extends Omit<SendOptions, 'db'> {
  /** Enqueue inside the caller's transaction: the job commits with the caller's rows, or neither does. */
  db?: Db;
}

/** Type-checked, schema-validated send. Returns the job id, or null when a singleton key deduplicated it. */
export async function sendJob<Q extends QueueName>(
  boss: PgBoss,
  queue: Q,
  payload: JobPayload<Q>,
  options: TypedSendOptions = {},
): Promise<string | null> {
  const data = parsePayload(queue, payload) as object;
  const { db, ...rest } = options;
  return boss.send(queue, data, db ? { ...rest, db: db as never } : rest);
}

/** Several jobs of one queue in one insert (pg-boss `insert`), each payload validated. */
export async function sendJobs<Q extends QueueName>(boss: PgBoss, queue: Q, payloads: JobPayload<Q>[]): Promise<void> {
  if (payloads.length === 0) return;
  await boss.insert(queue, payloads.map((p) => ({ data: parsePayload(queue, p) as object })));
}
