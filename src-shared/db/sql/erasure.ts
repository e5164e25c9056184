import type { SqlStatement } from '#shared/db/pool.ts';

const finished = `status in ('succeeded', 'failed', 'cancelled')`;

/** A member's requests still queued or running (to cancel before erasing). */
export function activeGenerationsOf(userId: string): SqlStatement {
  return { text: `select id from generation where user_id = $1 and not ${finished}`, values: [userId] };
}

export function countActiveGenerationsOf(userId: string): SqlStatement {
  return { text: `select count(*)::int as n from generation where user_id = $1 and not ${finished}`, values: [userId] };
}

/** Every output of a member's finished requests (their storage keys). */
export function finishedOutputsOf(userId: string): SqlStatement {
  return { text: `select outputs from generation where user_id = $1 and ${finished}`, values: [userId] };
}

export function deleteFinishedGenerationsOf(userId: string): SqlStatement {
  return { text: `delete from generation where user_id = $1 and ${finished}`, values: [userId] };
}

export function deleteUsageOf(userId: string): SqlStatement {
  return { text: `delete from user_usage where user_id = $1`, values: [userId] };
}

export function markErasurePending(userId: string): SqlStatement {
  return { text: `insert into pending_erasure (user_id) values ($1) on conflict (user_id) do nothing`, values: [userId] };
}

export function clearErasurePending(userId: string): SqlStatement {
  return { text: `delete from pending_erasure where user_id = $1`, values: [userId] };
}

export function pendingErasures(limit: number): SqlStatement {
  return { text: `select user_id as "userId" from pending_erasure order by requested_at limit $1`, values: [limit] };
}
