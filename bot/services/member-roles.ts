import type { BaseInteraction } from 'discord.js';
import { payloadFacts } from '../listeners/interaction-payloads.ts';

/**
 * The member's role ids in the interaction's guild, for role limit policies and models limited to
 * roles (@everyone left out: the guild policy covers it). Read from the payload: with no role cache
 * discord.js's GuildMember would list none.
 */
export function memberRoleIds(interaction: BaseInteraction): string[] {
  if (!interaction.guildId) return [];
  return (payloadFacts(interaction)?.memberRoleIds ?? []).filter((id) => id !== interaction.guildId);
}
