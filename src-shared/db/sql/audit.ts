import type { SqlStatement } from '#shared/db/pool.ts';

export interface AuditRow {
  /** Who: `discord:<user id>` for /genadmin, `admin-token` for the admin API. */
  actor: string;
  action: string;
  entity: string;
  entityId: string | null;
  before: unknown;
  after: unknown;
}

// Absent (null) is SQL NULL, as the admin API writes it.
const json = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v));

/** One audit_log row; run it in the transaction that makes the change, so both commit or neither. */
export function insertAudit(row: AuditRow): SqlStatement {
  return {
    text: `insert into audit_log (actor, action, entity, entity_id, before, after) values ($1, $2, $3, $4, $5::jsonb, $6::jsonb)`,
    values: [row.actor, row.action, row.entity, row.entityId, json(row.before), json(row.after)],
  };
}
