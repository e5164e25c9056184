import type { SqlStatement } from '#shared/db/pool.ts';

/**
 * One read of the line, before a new request joins it:
 * - priority: minus this user's requests still waiting or running (their next one's fair priority);
 * - position: requests waiting now, plus one (where the new one lands).
 */
export function lineStats(userId: string): SqlStatement {
  return {
    text: `select (-count(*) filter (where user_id = $1))::int as priority,
        (count(*) filter (where status = 'queued') + 1)::int as position
      from generation where status in ('queued', 'running', 'cancel_requested')`,
    values: [userId],
  };
}
