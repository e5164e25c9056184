import { PgBoss, type ConstructorOptions } from 'pg-boss';
import { preparingClient, processStatementNames } from '#shared/db/preparing-client.ts';
import type { Logger } from '#shared/logging.ts';
import { quietingErrorLog } from '#shared/error-episodes.ts';
import { queueDefinitions } from './queues.ts';

export const bossSchema = 'pgboss';

export interface BossOptions {
  logger?: Logger;
  /** Producers (the bot) do not run maintenance or cron; the scheduler does. */
  supervise?: boolean;
  schedule?: boolean;
  max?: number;
  /** How long an idle connection of pg-boss's pool stays open (pg's default: 10 s). */
  idleTimeoutMillis?: number;
  /** How often missed heartbeats and expiries are checked (s). Lower in tests. */
  superviseIntervalSeconds?: number;
}

/** pg-boss with LISTEN/NOTIFY so a sent job reaches a waiting worker in milliseconds. */
export function createBoss(databaseUrl: string, opts: BossOptions = {}): PgBoss {
  const options: ConstructorOptions & { Client: unknown } = {
    // Passed through to pg's pool: pg-boss's repeated statements run prepared (preparing-client.ts).
    Client: preparingClient(processStatementNames),
    connectionString: databaseUrl,
    schema: bossSchema,
    useListenNotify: true,
    supervise: opts.supervise ?? true,
    schedule: opts.schedule ?? false,
    max: opts.max ?? 10,
    ...(opts.idleTimeoutMillis !== undefined ? { idleTimeoutMillis: opts.idleTimeoutMillis } : {}),
    superviseIntervalSeconds: opts.superviseIntervalSeconds ?? 5,
    monitorIntervalSeconds: opts.superviseIntervalSeconds ?? 5,
  };
  const boss = new PgBoss(options);
  // A PostgreSQL restart makes every poll and maintenance run fail: one outage, a few lines.
  if (opts.logger) boss.on('error', quietingErrorLog(opts.logger, 'pg-boss (PostgreSQL)', 'pg_boss'));
  boss.on('warning', (warning) => opts.logger?.warn({ warning }, 'pg-boss warning'));
  return boss;
}

/** Creates (or updates) every queue with its policy. Safe to run from many processes at once. */
export async function ensureQueues(boss: PgBoss): Promise<void> {
  const existing = new Set((await boss.getQueues()).map((q) => q.name));
  for (const { cron: _cron, ...def } of queueDefinitions) {
    const { name, ...options } = def;
    // A queue's policy (and partitioning) is fixed at creation; everything else follows the definition.
    const { policy: _policy, partition: _partition, ...updatable } = options;
    if (existing.has(name)) await boss.updateQueue(name, updatable);
    else {
      try {
        await boss.createQueue(name, options);
      } catch (err) {
        // Another process created it between our read and our create.
        if (!(await boss.getQueue(name))) throw err;
      }
    }
  }
}

export async function startBoss(databaseUrl: string, opts: BossOptions = {}): Promise<PgBoss> {
  const boss = createBoss(databaseUrl, opts);
  await boss.start();
  await ensureQueues(boss);
  return boss;
}
