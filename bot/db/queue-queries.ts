import type { SqlStatement } from '#shared/db/pool.ts';
import { generationColumns } from '#shared/db/sql/generations.ts';

/** What /queue shows at most: a member's queued and running requests are capped far below this. */
export const queueListLimit = 10;

/**
 * A member's waiting and running requests, oldest first, each with the measured seconds per step of
 * the instance running it (null while waiting or before any measurement there).
 */
export function activeOfUser(userId: string): SqlStatement {
  return {
    text: `select q.*, i.avg_seconds_per_step as "instanceSecondsPerStep"
      from (select ${generationColumns} from generation
        where user_id = $1 and status in ('queued', 'running', 'cancel_requested')
        order by created_at, id limit ${queueListLimit}) q
      left join comfy_instance i on i.id = q."comfyInstanceId"
      order by q."createdAt", q.id`,
    values: [userId],
  };
}
