import { InteractionContextType, MessageFlags } from 'discord.js';
import { ApplicationCommandType, type RESTPostAPIChatInputApplicationCommandsJSONBody } from 'discord-api-types/v10';
import type { SlashCommand } from '../handler-types.ts';
import { modelsOffered } from '../db/model-queries.ts';
import { modelsView, type OfferedModel } from '../embeds/models-embed.ts';
import { guildOnly } from '../preconditions/guild-only.ts';
import { isNsfwChannel } from '../services/channel-nsfw.ts';
import { memberRoleIds } from '../services/member-roles.ts';

export const modelsData: RESTPostAPIChatInputApplicationCommandsJSONBody = {
  type: ApplicationCommandType.ChatInput,
  name: 'models',
  description: 'The checkpoints and LoRAs you may use here',
  contexts: [InteractionContextType.Guild],
};

/**
 * `/models`: what `/imagine` would accept from this member in this channel — the same rules as its
 * autocomplete (enabled, not switched off in the server, allowed to one of the member's roles,
 * 🔞 models only in age-restricted channels). Only for them.
 */
export const models: SlashCommand = {
  data: modelsData,
  preconditions: [guildOnly],
  async run(interaction, ctx) {
    const stmt = modelsOffered({ allowNsfw: await isNsfwChannel(interaction), guildId: interaction.guildId, roleIds: memberRoleIds(interaction) });
    const { rows } = await ctx.db.executeSql<OfferedModel>(stmt.text, stmt.values);
    await interaction.reply({ ...modelsView(rows), flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
  },
};
