import { InteractionContextType, PermissionFlagsBits } from 'discord.js';
import { ApplicationCommandType, type RESTPostAPIChatInputApplicationCommandsJSONBody } from 'discord-api-types/v10';
import type { SlashCommand } from '../handler-types.ts';
import { guildOnly } from '../preconditions/guild-only.ts';
import { manageGuild } from '../preconditions/manage-guild.ts';
import { blocklistGroup, runBlocklist } from './genadmin/blocklist.ts';
import { limitsGroup, runLimits } from './genadmin/limits.ts';
import { autocompleteModel, modelGroup, runModel } from './genadmin/model.ts';
import { pauseSubcommand, resumeSubcommand, runPause, runResume } from './genadmin/pause.ts';

export const genadminData: RESTPostAPIChatInputApplicationCommandsJSONBody = {
  type: ApplicationCommandType.ChatInput,
  name: 'genadmin',
  description: 'Moderate image generation in this server',
  contexts: [InteractionContextType.Guild],
  // Only members with Manage Server see it by default; manageGuild checks again on every use. Sent as
  // a number: Discord's OpenAPI spec (shared/discord/openapi.json) types it integer; discord-api-types says string.
  default_member_permissions: Number(PermissionFlagsBits.ManageGuild) as unknown as string,
  options: [limitsGroup, pauseSubcommand, resumeSubcommand, blocklistGroup, modelGroup],
};

/** `/genadmin`: limits, pause/resume, blocklist and models for this server; every change audited. */
export const genadmin: SlashCommand = {
  data: genadminData,
  preconditions: [guildOnly, manageGuild],
  async run(interaction, ctx) {
    const group = interaction.options.getSubcommandGroup(false);
    if (group === 'limits') return runLimits(interaction, ctx);
    if (group === 'blocklist') return runBlocklist(interaction, ctx);
    if (group === 'model') return runModel(interaction, ctx);
    if (interaction.options.getSubcommand() === 'pause') return runPause(interaction, ctx);
    return runResume(interaction, ctx);
  },
  async autocomplete(interaction, ctx) {
    // Only the model option autocompletes; a member without Manage Server is offered nothing.
    if (!interaction.memberPermissions?.has(PermissionFlagsBits.ManageGuild) || interaction.options.getSubcommandGroup(false) !== 'model') {
      await interaction.respond([]);
      return;
    }
    await autocompleteModel(interaction, ctx);
  },
};
