import type { SqlStatement } from '#shared/db/pool.ts';
import type { BlocklistKind } from '#shared/db/entities/guild-moderation.ts';

// Every statement of guild moderation (pause, blocklist, models per guild), for bot and scheduler.

/** Per guild: paused and why, the blocklist, and the models switched off there (guilds without rows get defaults). */
export function guildRules(guildIds: readonly string[]): SqlStatement {
  return {
    text: `select g.guild_id as "guildId", coalesce(s.paused, false) as paused, s.pause_reason as "pauseReason",
        coalesce((select json_agg(json_build_object('id', b.id, 'kind', b.kind, 'pattern', b.pattern) order by b.id)
          from guild_blocklist b where b.guild_id = g.guild_id), '[]'::json) as blocklist,
        coalesce((select array_agg(d.model_id) from guild_model_disabled d where d.guild_id = g.guild_id), '{}') as "disabledModelIds"
      from unnest($1::text[]) as g(guild_id) left join guild_settings s on s.guild_id = g.guild_id`,
    values: [guildIds],
    name: 'moderation.rules',
  };
}

/** What moderation needs of the models a request names: id, name shown, and the roles it is limited to. */
export function modelAccess(models: readonly { kind: string; fileName: string }[]): SqlStatement {
  return {
    text: `select m.id, m.kind, m.file_name as "fileName", m.display_name as "displayName", m.allowed_roles as "allowedRoles"
      from model m join unnest($1::text[], $2::text[]) as w(kind, file_name) on m.kind = w.kind and m.file_name = w.file_name`,
    values: [models.map((m) => m.kind), models.map((m) => m.fileName)],
    name: 'moderation.model-access',
  };
}

/**
 * Placement (scheduler): marks a queued generation held when its guild is paused. The share lock on
 * the settings row orders this against resume, which updates that row first: either resume sees the
 * hold and sends the job again, or this sees the guild resumed and holds nothing.
 */
export function holdIfPaused(generationId: string, guildId: string): SqlStatement {
  return {
    text: `with s as (select 1 from guild_settings where guild_id = $2 and paused for share)
      update generation set held = true, updated_at = now()
      where id = $1 and status = 'queued' and exists (select 1 from s) returning id`,
    values: [generationId, guildId],
    name: 'moderation.hold',
  };
}

/** Releases a guild's held generations; `rank` = the user's earlier held requests (fair priority again). */
export function releaseHeld(guildId: string): SqlStatement {
  return {
    text: `with h as (
        update generation set held = false, updated_at = now() where guild_id = $1 and held and status = 'queued'
        returning id, user_id, created_at)
      select id, (row_number() over (partition by user_id order by created_at) - 1)::int as rank from h`,
    values: [guildId],
  };
}

export interface GuildSettingsRow {
  guildId: string;
  paused: boolean;
  pauseReason: string | null;
}

/** Locks (creating if needed) and returns a guild's settings row, for an audited change. */
export function lockGuildSettings(guildId: string): SqlStatement[] {
  return [
    { text: `insert into guild_settings (guild_id) values ($1) on conflict do nothing`, values: [guildId] },
    { text: `select guild_id as "guildId", paused, pause_reason as "pauseReason" from guild_settings where guild_id = $1 for update`, values: [guildId] },
  ];
}

export function setPaused(guildId: string, paused: boolean, reason: string | null): SqlStatement {
  return {
    text: `update guild_settings set paused = $2, pause_reason = $3, updated_at = now() where guild_id = $1
      returning guild_id as "guildId", paused, pause_reason as "pauseReason"`,
    values: [guildId, paused, reason],
  };
}

export function listBlocklist(guildId: string): SqlStatement {
  return { text: `select id, kind, pattern from guild_blocklist where guild_id = $1 order by id`, values: [guildId] };
}

export function insertBlock(guildId: string, kind: BlocklistKind, pattern: string, createdBy: string, max: number): SqlStatement {
  // Under the guild's settings row lock (taken first by the caller), so the count cannot race.
  return {
    text: `insert into guild_blocklist (guild_id, kind, pattern, created_by)
      select $1::varchar, $2::text, $3::varchar, $4::varchar where (select count(*) from guild_blocklist where guild_id = $1::varchar) < $5::int
      on conflict (guild_id, kind, pattern) do nothing returning id, kind, pattern`,
    values: [guildId, kind, pattern, createdBy, max],
  };
}

export function deleteBlock(guildId: string, kind: BlocklistKind, pattern: string): SqlStatement {
  return {
    text: `delete from guild_blocklist where guild_id = $1 and kind = $2 and pattern = $3 returning id, kind, pattern`,
    values: [guildId, kind, pattern],
  };
}

export function disableModelInGuild(guildId: string, modelId: number): SqlStatement {
  return {
    text: `insert into guild_model_disabled (guild_id, model_id) values ($1, $2) on conflict do nothing returning model_id`,
    values: [guildId, modelId],
  };
}

export function enableModelInGuild(guildId: string, modelId: number): SqlStatement {
  return { text: `delete from guild_model_disabled where guild_id = $1 and model_id = $2 returning model_id`, values: [guildId, modelId] };
}
