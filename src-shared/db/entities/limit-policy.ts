import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

export const limitScopes = ['global', 'guild', 'role', 'user'] as const;
export type LimitScope = (typeof limitScopes)[number];

/**
 * Limits for one scope; when several match a request, the most specific scope wins per field
 * (user, then role, then guild, then global, then configuration). null = not set at this scope;
 * 0 = no cap. See src-shared/limits/.
 */
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
    maxActive: p.integer().nullable(),
    maxBatch: p.integer().nullable(),
    maxSteps: p.integer().nullable(),
    maxPixels: p.integer().nullable(),
    blocked: p.boolean().nullable(),
    createdAt: p.datetime(3).defaultRaw('now()'),
    updatedAt: p.datetime(3).defaultRaw('now()'),
  },
  uniques: [{ name: 'limit_policy_scope_unique', properties: ['scope', 'guildId', 'subjectId'] }],
  checks: [
    {
      name: 'limit_policy_values_check',
      expression:
        'coalesce(per_minute, 0) >= 0 and coalesce(per_hour, 0) >= 0 and coalesce(per_day, 0) >= 0 and coalesce(max_active, 0) >= 0 and coalesce(max_batch, 0) >= 0 and coalesce(max_steps, 0) >= 0 and coalesce(max_pixels, 0) >= 0',
    },
    {
      name: 'limit_policy_scope_shape_check',
      expression:
        "(scope = 'global' and guild_id = '' and subject_id = '') or (scope = 'guild' and guild_id <> '' and subject_id = '') or (scope = 'role' and guild_id <> '' and subject_id <> '') or (scope = 'user' and guild_id = '' and subject_id <> '')",
    },
  ],
});

export type LimitPolicy = InferEntity<typeof LimitPolicyEntity>;
