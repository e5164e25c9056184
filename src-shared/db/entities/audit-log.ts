import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

export const AuditLogEntity = defineEntity({
  name: 'AuditLog',
  tableName: 'audit_log',
  properties: {
    id: p.bigint('string').primary().autoincrement(),
    actor: p.string().length(100),
    action: p.string().length(100),
    entity: p.string().length(50),
    entityId: p.string().length(100).nullable(),
    before: p.json<unknown>().nullable(),
    after: p.json<unknown>().nullable(),
    createdAt: p.datetime(3).defaultRaw('now()'),
  },
  indexes: [{ name: 'audit_log_entity_idx', properties: ['entity', 'entityId', 'createdAt'] }],
});

export type AuditLog = InferEntity<typeof AuditLogEntity>;
