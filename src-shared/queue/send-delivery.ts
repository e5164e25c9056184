import type { PgBoss } from 'pg-boss';
import type { Db } from '#shared/db/pool.ts';
import { parsePayload, type JobPayload } from './contracts.ts';
import { sendJob } from './send.ts';

/**
 * A member waits for a result more than for a waiting message's new place: when deliveries back up,
 * endings are taken first (live edits of other messages are coalesced and wait; one of the same
 * generation still runs first or finds the result delivered, see the group below).
 */
export const finalDeliveryPriority = 10;

/**
 * Every delivery of a generation is in one pg-boss group, and the deliver worker runs one job per
 * group at a time: a progress edit can never land after (and overwrite) the final result.
 */
export function sendDelivery(boss: PgBoss, generationId: string, kind: JobPayload<'deliver'>['kind'], db?: Db): Promise<string | null> {
  const final = kind === 'result' || kind === 'failure' || kind === 'cancelled';
  return sendJob(boss, 'deliver', { generationId, kind }, { ...(db ? { db } : {}), group: { id: generationId }, ...(final ? { priority: finalDeliveryPriority } : {}) });
}

/** A final delivery as pg-boss's insert takes it (the JSON sendDelivery's send makes), for embedding in a statement of ours. */
export function finalDeliveryJobJson(generationId: string, kind: 'result' | 'failure' | 'cancelled'): string {
  return JSON.stringify([{ data: parsePayload('deliver', { generationId, kind }), priority: finalDeliveryPriority, groupId: generationId }]);
}
