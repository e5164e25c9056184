import type { EntityManager } from '@mikro-orm/core';
import { AuditLogEntity } from '#shared/db/entities/audit-log.ts';
import { AppError, ErrorCode } from '#shared/errors.ts';

/** Who made a change through the admin API; there is one shared operator token today. */
export const adminActor = 'admin-token';

export interface AuditEntry {
  action: string;
  entity: string;
  entityId: string | null;
  before: unknown;
  after: unknown;
}

/**
 * Writes the audit row with `em`, which must be the transaction that made the change, so the two
 * commit together. If the row cannot be written the caller's transaction rolls back, and the client
 * is told the change was not applied.
 */
export async function recordAudit(em: EntityManager, entry: AuditEntry): Promise<void> {
  try {
    await em.insert(AuditLogEntity, { actor: adminActor, ...entry, before: entry.before ?? null, after: entry.after ?? null });
  } catch (err) {
    throw new AppError(ErrorCode.Internal, 'the change was not applied: its audit entry could not be written', { status: 500, expose: true, cause: err });
  }
}
