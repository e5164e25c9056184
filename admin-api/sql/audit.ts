import type { SqlStatement } from '#shared/db/pool.ts';

export interface AuditEntry {
  actor: string;
  action: string;
  entity: string;
  entityId: string | null;
  before: unknown;
  after: unknown;
}

export function insertAuditEntry(e: AuditEntry): SqlStatement {
  return {
    text: `insert into audit_log (actor, action, entity, entity_id, before, after) values ($1, $2, $3, $4, $5::jsonb, $6::jsonb)`,
    values: [e.actor, e.action, e.entity, e.entityId, e.before === undefined || e.before === null ? null : JSON.stringify(e.before), e.after === undefined || e.after === null ? null : JSON.stringify(e.after)],
  };
}
