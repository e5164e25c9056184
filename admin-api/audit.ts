import type { Db } from '#shared/db/pool.ts';
import { insertAuditEntry, type AuditEntry } from './sql/audit.ts';

/** Who made a change through the admin API; there is one shared operator token today. */
export const adminActor = 'admin-token';

export async function recordAudit(db: Db, entry: Omit<AuditEntry, 'actor'>): Promise<void> {
  const { text, values } = insertAuditEntry({ actor: adminActor, ...entry });
  await db.executeSql(text, values);
}
