import { InteractionContextType, MessageFlags } from 'discord.js';
import { ApplicationCommandType, type RESTPostAPIChatInputApplicationCommandsJSONBody } from 'discord-api-types/v10';
import type { SlashCommand } from '../handler-types.ts';
import { queueView } from '../embeds/queue-embed.ts';
import { guildOnly } from '../preconditions/guild-only.ts';
import { memberQueue } from '../services/member-queue.ts';

export const queueData: RESTPostAPIChatInputApplicationCommandsJSONBody = {
  type: ApplicationCommandType.ChatInput,
  name: 'queue',
  description: 'Your waiting and running requests, with place in line and ETA',
  contexts: [InteractionContextType.Guild],
};

/** `/queue`: the member's own waiting and running requests (every server), only for them, each with a Cancel button. */
export const queue: SlashCommand = {
  data: queueData,
  preconditions: [guildOnly],
  async run(interaction, ctx) {
    const items = await memberQueue(ctx.db, interaction.user.id);
    await interaction.reply({ ...queueView(items), flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
  },
};
