import { MessageFlags, type ChatInputCommandInteraction } from 'discord.js';
import { messageLimits, truncate } from '#shared/render/limits.ts';

/** Every /genadmin answer is for the moderator only. */
export async function replyPrivately(interaction: ChatInputCommandInteraction, content: string): Promise<void> {
  await interaction.reply({ content: truncate(content, messageLimits.content), flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
}
