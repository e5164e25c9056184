import type { SqlStatement } from '#shared/db/pool.ts';

/** Every limit policy row that sets something, widest scope first. */
export function listPolicies(): SqlStatement {
  return {
    text: `select scope, guild_id as "guildId", subject_id as "subjectId", per_minute as "perMinute", per_hour as "perHour", per_day as "perDay",
        max_active as "maxActive", max_batch as "maxBatch", max_steps as "maxSteps", max_pixels as "maxPixels", blocked, updated_at as "updatedAt"
      from limit_policy
      where coalesce(per_minute, per_hour, per_day, max_active, max_batch, max_steps, max_pixels) is not null or blocked is not null
      order by array_position(array['global', 'guild', 'role', 'user']::text[], scope::text), guild_id, subject_id`,
    values: [],
  };
}
