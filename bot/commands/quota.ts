import { InteractionContextType, MessageFlags } from 'discord.js';
import { ApplicationCommandType, type RESTPostAPIChatInputApplicationCommandsJSONBody } from 'discord-api-types/v10';
import type { SlashCommand } from '../handler-types.ts';
import { quotaEmbed } from '../embeds/quota-embed.ts';
import { guildOnly } from '../preconditions/guild-only.ts';
import { memberRoleIds } from '../services/member-roles.ts';

export const quotaData: RESTPostAPIChatInputApplicationCommandsJSONBody = {
  type: ApplicationCommandType.ChatInput,
  name: 'quota',
  description: 'What you may still generate now, and when your limits reset',
  contexts: [InteractionContextType.Guild],
};

/** `/quota`: the member's limits in this server and what is left of each, only for them. */
export const quota: SlashCommand = {
  data: quotaData,
  preconditions: [guildOnly],
  async run(interaction, ctx) {
    const q = await ctx.limiter.quota(ctx.db, { userId: interaction.user.id, guildId: interaction.guildId, roleIds: memberRoleIds(interaction) });
    await interaction.reply({ embeds: [quotaEmbed(q)], flags: MessageFlags.Ephemeral });
  },
};
