import type { SqlStatement } from '#shared/db/pool.ts';

export type StatsDimension = 'status' | 'model' | 'instance' | 'guild';

export interface GroupCountRow extends Record<string, unknown> {
  key: string | null;
  total: number;
  succeeded: number;
  failed: number;
  cancelled: number;
}

const dimensionColumn: Record<StatsDimension, string> = {
  status: 'status',
  model: 'checkpoint',
  instance: 'comfy_instance_id::text',
  guild: 'guild_id',
};

/** Generations created since `since`, counted per value of one dimension, with how many of them ended which way. */
export function countsBy(dimension: StatsDimension, since: Date): SqlStatement {
  const column = dimensionColumn[dimension];
  return {
    text: `select ${column} as key, count(*)::int as total,
        count(*) filter (where status = 'succeeded')::int as succeeded,
        count(*) filter (where status = 'failed')::int as failed,
        count(*) filter (where status = 'cancelled')::int as cancelled
      from generation where created_at >= $1 group by 1 order by total desc, key nulls last`,
    values: [since],
  };
}

export interface QueueRow {
  waiting: number;
  running: number;
  oldestWaitingSeconds: number | null;
}

/** The line right now, whatever `since` says. */
export function queueNow(): SqlStatement {
  return {
    text: `select count(*) filter (where status = 'queued')::int as waiting,
        count(*) filter (where status in ('running', 'cancel_requested'))::int as running,
        extract(epoch from now() - min(created_at) filter (where status = 'queued'))::float8 as "oldestWaitingSeconds"
      from generation where status in ('queued', 'running', 'cancel_requested')`,
    values: [],
  };
}

export interface DurationRow {
  waitP50: number | null;
  waitP95: number | null;
  runP50: number | null;
  runP95: number | null;
}

/** Wait = created → placed; run = placed → finished (succeeded or failed), in seconds, over generations created since `since`. */
export function durationPercentiles(since: Date): SqlStatement {
  return {
    text: `select
        percentile_cont(0.5) within group (order by extract(epoch from started_at - created_at)) filter (where started_at is not null) as "waitP50",
        percentile_cont(0.95) within group (order by extract(epoch from started_at - created_at)) filter (where started_at is not null) as "waitP95",
        percentile_cont(0.5) within group (order by extract(epoch from finished_at - started_at))
          filter (where started_at is not null and finished_at is not null and status in ('succeeded', 'failed')) as "runP50",
        percentile_cont(0.95) within group (order by extract(epoch from finished_at - started_at))
          filter (where started_at is not null and finished_at is not null and status in ('succeeded', 'failed')) as "runP95"
      from generation where created_at >= $1`,
    values: [since],
  };
}
