import type { BaseInteraction } from 'discord.js';

/**
 * The member's role ids in the interaction's guild, for role limit policies (@everyone left out:
 * the guild policy covers it). A cached guild gives a GuildMember, whose roles discord.js reads
 * from the guild's role cache; otherwise the raw member carries the ids.
 */
export function memberRoleIds(interaction: BaseInteraction): string[] {
  const member = interaction.member;
  if (!member) return [];
  const ids = Array.isArray(member.roles) ? member.roles : [...member.roles.cache.keys()];
  return ids.filter((id) => id !== interaction.guildId);
}
