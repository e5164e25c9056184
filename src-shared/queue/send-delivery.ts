import type { PgBoss } from 'pg-boss';
import type { Db } from '#shared/db/pool.ts';
import type { JobPayload } from './contracts.ts';
import { sendJob } from './send.ts';

/**
 * Every delivery of a generation is in one pg-boss group, and the deliver worker runs one job per
 * group at a time: a progress edit can never land after (and overwrite) the final result.
 */
export function sendDelivery(boss: PgBoss, generationId: string, kind: JobPayload<'deliver'>['kind'], db?: Db): Promise<string | null> {
  return sendJob(boss, 'deliver', { generationId, kind }, { ...(db ? { db } : {}), group: { id: generationId } });
}
