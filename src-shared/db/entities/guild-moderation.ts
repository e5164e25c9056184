import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { blocklistKinds, type BlocklistKind } from '../value-lists.ts';

/** One guild's switches set with /genadmin; a guild without a row is not paused. */
export const GuildSettingsEntity = defineEntity({
  name: 'GuildSettings',
  tableName: 'guild_settings',
  properties: {
    guildId: p.string().length(20).primary(),
    paused: p.boolean().default(false),
    // What new requests are told while paused.
    pauseReason: p.string().length(200).nullable(),
    updatedAt: p.datetime(3).defaultRaw('now()'),
  },
});

export type GuildSettings = InferEntity<typeof GuildSettingsEntity>;

export { blocklistKinds, type BlocklistKind };

/** A word or regular expression refused in prompts of one guild (see src-shared/moderation/blocklist.ts). */
export const GuildBlocklistEntity = defineEntity({
  name: 'GuildBlocklist',
  tableName: 'guild_blocklist',
  properties: {
    id: p.integer().primary().autoincrement(),
    guildId: p.string().length(20),
    kind: p.enum(() => blocklistKinds),
    pattern: p.string().length(200),
    createdBy: p.string().length(20),
    createdAt: p.datetime(3).defaultRaw('now()'),
  },
  uniques: [{ name: 'guild_blocklist_unique', properties: ['guildId', 'kind', 'pattern'] }],
});

export type GuildBlocklist = InferEntity<typeof GuildBlocklistEntity>;

/** A model switched off in one guild (it stays usable elsewhere). Removed with the model (ModelRepository.remove). */
export const GuildModelDisabledEntity = defineEntity({
  name: 'GuildModelDisabled',
  tableName: 'guild_model_disabled',
  properties: {
    guildId: p.string().length(20).primary(),
    modelId: p.integer().primary(),
    createdAt: p.datetime(3).defaultRaw('now()'),
  },
  indexes: [{ name: 'guild_model_disabled_model_id_idx', properties: ['modelId'] }],
});

export type GuildModelDisabled = InferEntity<typeof GuildModelDisabledEntity>;
