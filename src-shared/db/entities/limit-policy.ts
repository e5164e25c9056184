import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

export const limitScopes = ['global', 'guild', 'role', 'user'] as const;
export type LimitScope = (typeof limitScopes)[number];

/** Limits for one scope; when several match a request, the most specific scope wins per field. */
export const LimitPolicyEntity = defineEntity({
  name: 'LimitPolicy',
  tableName: 'limit_policy',
  properties: {
    id: p.integer().primary().autoincrement(),
    scope: p.enum(() => limitScopes),
    // guild id for guild/role scopes, '' for global and user (which apply everywhere)
    guildId: p.string().length(20).default(''),
    // role id or user id; '' for global and guild
    subjectId: p.string().length(20).default(''),
    perMinute: p.integer().nullable(),
    perHour: p.integer().nullable(),
    perDay: p.integer().nullable(),
    maxConcurrent: p.integer().nullable(),
    maxBatch: p.integer().nullable(),
    maxSteps: p.integer().nullable(),
    maxPixels: p.integer().nullable(),
    createdAt: p.datetime(3).defaultRaw('now()'),
    updatedAt: p.datetime(3).defaultRaw('now()'),
  },
  uniques: [{ name: 'limit_policy_scope_unique', properties: ['scope', 'guildId', 'subjectId'] }],
});

export type LimitPolicy = InferEntity<typeof LimitPolicyEntity>;
