import type { BaseInteraction } from 'discord.js';

/** True only for age-restricted guild channels (threads inherit their parent's flag). */
export function isNsfwChannel(interaction: BaseInteraction): boolean {
  const channel = interaction.channel;
  if (!channel || !('guildId' in channel)) return false;
  if (channel.isThread()) return channel.parent !== null && 'nsfw' in channel.parent && channel.parent.nsfw === true;
  return 'nsfw' in channel && channel.nsfw === true;
}
