import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** A member whose erasure waits for their running work to stop; `cleanup` finishes it. */
export const PendingErasureEntity = defineEntity({
  name: 'PendingErasure',
  tableName: 'pending_erasure',
  properties: {
    userId: p.string().length(20).primary(),
    requestedAt: p.datetime(3).defaultRaw('now()'),
  },
});

export type PendingErasure = InferEntity<typeof PendingErasureEntity>;
