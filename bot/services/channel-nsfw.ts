import { ChannelType, Routes, type BaseInteraction } from 'discord.js';
import { payloadFacts } from '../listeners/interaction-payloads.ts';

const threadTypes: ReadonlySet<number> = new Set([ChannelType.AnnouncementThread, ChannelType.PublicThread, ChannelType.PrivateThread]);

/**
 * True only for age-restricted guild channels, read from the interaction's own channel data (the bot
 * keeps no channel cache). A thread carries no flag of its own and inherits its parent's, which is
 * asked of Discord each time (a cached answer could outlive the moderators switching it off); a
 * parent the bot may not read counts as not age-restricted.
 */
export async function isNsfwChannel(interaction: BaseInteraction): Promise<boolean> {
  if (!interaction.guildId) return false;
  const channel = payloadFacts(interaction)?.channel;
  if (!channel) return false;
  if (!threadTypes.has(channel.type)) return channel.nsfw;
  if (!channel.parentId) return false;
  const parent = (await interaction.client.rest.get(Routes.channel(channel.parentId)).catch(() => null)) as { nsfw?: boolean } | null;
  return parent?.nsfw === true;
}
