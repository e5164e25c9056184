import type { SqlStatement } from '#shared/db/pool.ts';

/** How many queued generations are ahead of this one, plus one. */
export function queuePosition(generationId: string): SqlStatement {
  return {
    text: `select (count(*) + 1)::int as position from generation g, generation me
      where me.id = $1 and g.status = 'queued' and (g.created_at, g.id) < (me.created_at, me.id)`,
    values: [generationId],
  };
}

/** Minus the number of this user's requests still waiting or running: their next one's fair priority. */
export function fairPriority(userId: string): SqlStatement {
  return {
    text: `select -count(*)::int as priority from generation
      where user_id = $1 and status in ('queued', 'running', 'cancel_requested')`,
    values: [userId],
  };
}
