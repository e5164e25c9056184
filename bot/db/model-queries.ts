import type { SqlStatement } from '#shared/db/pool.ts';

/** The columns the bot needs from the registry (camelCase). */
export const registryColumns = `id, kind, file_name as "fileName", display_name as "displayName", nsfw, base_family as "baseFamily",
  default_strength_model as "defaultStrengthModel", default_strength_clip as "defaultStrengthClip",
  default_width as "defaultWidth", default_height as "defaultHeight", default_steps as "defaultSteps", default_cfg as "defaultCfg",
  default_sampler as "defaultSampler", default_scheduler as "defaultScheduler"`;

type UsableKind = 'checkpoint' | 'lora';

const usable = `enabled and available and not unsafe`;

/** Who is looking: nsfw models only in age-restricted channels; models off in the guild or limited to other roles are not offered. */
export interface Viewer {
  allowNsfw: boolean;
  guildId: string | null;
  roleIds: readonly string[];
}

// $g / $r: the guild id ('' outside a guild) and the member's role ids.
const offeredHere = (g: string, r: string) => `not exists (select 1 from guild_model_disabled d where d.guild_id = ${g} and d.model_id = model.id)
  and (model.allowed_roles = '[]'::jsonb or model.allowed_roles ?| ${r})`;

function likePattern(typed: string): string {
  return `%${typed.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** Autocomplete: usable models of a kind matching what was typed and offered to this viewer; index-friendly and capped at 25. */
export function modelChoices(kind: UsableKind, typed: string, viewer: Viewer): SqlStatement {
  return {
    text: `select id, file_name as "fileName", display_name as "displayName", nsfw from model
      where kind = $1 and ${usable} and ($2 or not nsfw) and ($3 = '%%' or file_name ilike $3 or display_name ilike $3)
        and ${offeredHere('$5', '$6::text[]')}
      order by (display_name ilike $4) desc, display_name, id limit 25`,
    values: [kind, viewer.allowNsfw, likePattern(typed.trim()), `${typed.trim().replace(/[\\%_]/g, (c) => `\\${c}`)}%`, viewer.guildId ?? '', viewer.roleIds],
  };
}

/** A model by file name, display name or `#id` (autocomplete's value for names over 100 chars), usable or not. */
export function modelByName(kind: UsableKind, name: string): SqlStatement {
  const byId = /^#(\d{1,9})$/.exec(name);
  return {
    text: `select ${registryColumns}, (${usable}) as usable from model
      where kind = $1 and (id = $2 or file_name = $3 or lower(display_name) = lower($3))
      order by (${usable}) desc, (file_name = $3) desc, id limit 1`,
    values: [kind, byId ? Number(byId[1]) : -1, name],
  };
}

/** Counts that tell an empty registry (discovery has not run) from one with nothing enabled. */
export function registryState(): SqlStatement {
  return {
    text: `select count(*)::int as known,
      count(*) filter (where kind = 'checkpoint' and ${usable})::int as "usableCheckpoints",
      count(*) filter (where kind = 'lora' and ${usable})::int as "usableLoras"
      from model`,
    values: [],
  };
}

/** The default checkpoint: the first usable one offered to this viewer (safe-for-work unless the channel is nsfw). */
export function defaultCheckpoint(viewer: Viewer): SqlStatement {
  return {
    text: `select ${registryColumns}, true as usable from model where kind = 'checkpoint' and ${usable} and ($1 or not nsfw)
        and ${offeredHere('$2', '$3::text[]')}
      order by id limit 1`,
    values: [viewer.allowNsfw, viewer.guildId ?? '', viewer.roleIds],
  };
}

/** /genadmin model: checkpoints and LoRAs matching what was typed, and whether each is switched off in the guild. */
export function guildModelChoices(guildId: string, typed: string): SqlStatement {
  return {
    text: `select id, kind, file_name as "fileName", display_name as "displayName",
        exists (select 1 from guild_model_disabled d where d.guild_id = $1 and d.model_id = model.id) as "offHere"
      from model where kind in ('checkpoint', 'lora') and ${usable} and ($2 = '%%' or file_name ilike $2 or display_name ilike $2)
      order by kind, display_name, id limit 25`,
    values: [guildId, likePattern(typed.trim())],
  };
}

/** /genadmin model: a checkpoint or LoRA by `#id`, file name or display name. */
export function anyModelByName(name: string): SqlStatement {
  const byId = /^#(\d{1,9})$/.exec(name);
  return {
    text: `select id, kind, display_name as "displayName" from model
      where kind in ('checkpoint', 'lora') and (id = $1 or file_name = $2 or lower(display_name) = lower($2))
      order by (${usable}) desc, (file_name = $2) desc, kind, id limit 1`,
    values: [byId ? Number(byId[1]) : -1, name],
  };
}

/** A checkpoint by registry id (the `/generations` page buttons carry the model filter as its id). */
export function modelById(id: number): SqlStatement {
  return { text: `select id, file_name as "fileName" from model where id = $1 and kind = 'checkpoint'`, values: [id] };
}

/** What /models lists per kind at most (the embed shows what fits and says how many more). */
export const modelListLimit = 100;

/** /models: usable checkpoints and LoRAs offered to this viewer (as autocomplete offers them), with how many there are per kind. */
export function modelsOffered(viewer: Viewer): SqlStatement {
  return {
    text: `select * from (
        select id, kind, file_name as "fileName", display_name as "displayName", nsfw, base_family as "baseFamily",
          trigger_words as "triggerWords", count(*) over (partition by kind)::int as "ofKind",
          row_number() over (partition by kind order by display_name, id) as n
        from model where kind in ('checkpoint', 'lora') and ${usable} and ($1 or not nsfw) and ${offeredHere('$2', '$3::text[]')}) m
      where n <= ${modelListLimit} order by kind, n`,
    values: [viewer.allowNsfw, viewer.guildId ?? '', viewer.roleIds],
  };
}
