import type { SqlStatement } from '#shared/db/pool.ts';

/** An audit row for changes made in a plain pg transaction (the ORM path is `recordAudit`). */
export function insertAudit(entry: { actor: string; action: string; entity: string; entityId: string | null; before: unknown; after: unknown }): SqlStatement {
  return {
    text: `insert into audit_log (actor, action, entity, entity_id, before, after) values ($1, $2, $3, $4, $5::jsonb, $6::jsonb)`,
    values: [entry.actor, entry.action, entry.entity, entry.entityId, JSON.stringify(entry.before ?? null), JSON.stringify(entry.after ?? null)],
  };
}
