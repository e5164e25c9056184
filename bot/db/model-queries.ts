import type { SqlStatement } from '#shared/db/pool.ts';

/** The columns the bot needs from the registry (camelCase). */
export const registryColumns = `id, kind, file_name as "fileName", display_name as "displayName", nsfw, base_family as "baseFamily",
  default_strength_model as "defaultStrengthModel", default_strength_clip as "defaultStrengthClip",
  default_width as "defaultWidth", default_height as "defaultHeight", default_steps as "defaultSteps", default_cfg as "defaultCfg",
  default_sampler as "defaultSampler", default_scheduler as "defaultScheduler"`;

type UsableKind = 'checkpoint' | 'lora';

const usable = `enabled and available and not unsafe`;

function likePattern(typed: string): string {
  return `%${typed.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** Autocomplete: usable models of a kind matching what was typed; index-friendly and capped at 25. */
export function modelChoices(kind: UsableKind, typed: string, allowNsfw: boolean): SqlStatement {
  return {
    text: `select id, file_name as "fileName", display_name as "displayName", nsfw from model
      where kind = $1 and ${usable} and ($2 or not nsfw) and ($3 = '%%' or file_name ilike $3 or display_name ilike $3)
      order by (display_name ilike $4) desc, display_name, id limit 25`,
    values: [kind, allowNsfw, likePattern(typed.trim()), `${typed.trim().replace(/[\\%_]/g, (c) => `\\${c}`)}%`],
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

/** The default checkpoint: the first usable one (safe-for-work unless the channel is nsfw). */
export function defaultCheckpoint(allowNsfw: boolean): SqlStatement {
  return {
    text: `select ${registryColumns}, true as usable from model where kind = 'checkpoint' and ${usable} and ($1 or not nsfw)
      order by id limit 1`,
    values: [allowNsfw],
  };
}

/** A checkpoint by registry id (the `/generations` page buttons carry the model filter as its id). */
export function modelById(id: number): SqlStatement {
  return { text: `select id, file_name as "fileName" from model where id = $1 and kind = 'checkpoint'`, values: [id] };
}
