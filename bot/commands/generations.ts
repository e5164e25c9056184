import { ApplicationCommandOptionType, InteractionContextType, MessageFlags } from 'discord.js';
import { ApplicationCommandType, type RESTPostAPIChatInputApplicationCommandsJSONBody } from 'discord-api-types/v10';
import { generationStatuses, type GenerationStatus } from '#shared/db/value-lists.ts';
import { AppError, ErrorCode } from '#shared/errors.ts';
import { autocompleteLimits, truncate } from '#shared/render/limits.ts';
import type { SlashCommand } from '../handler-types.ts';
import { guildOnly } from '../preconditions/guild-only.ts';
import { renderHistory } from '../services/history.ts';
import { findModel, modelChoicesFor } from '../services/registry-lookup.ts';
import { memberRoleIds } from '../services/member-roles.ts';

export const generationsData: RESTPostAPIChatInputApplicationCommandsJSONBody = {
  type: ApplicationCommandType.ChatInput,
  name: 'generations',
  description: 'Your generations, newest first, 5 per page',
  contexts: [InteractionContextType.Guild],
  options: [
    { type: ApplicationCommandOptionType.String, name: 'status', description: 'Only this status', choices: generationStatuses.map((s) => ({ name: s, value: s })) },
    { type: ApplicationCommandOptionType.String, name: 'model', description: 'Only this checkpoint', autocomplete: true },
  ],
};

/** `/generations [status] [model]`: the member's own history, ephemeral, with ◀ ▶ (keyset pages). */
export const generations: SlashCommand = {
  data: generationsData,
  preconditions: [guildOnly],
  async run(interaction, ctx) {
    const status = interaction.options.getString('status');
    if (status !== null && !(generationStatuses as readonly string[]).includes(status)) {
      throw new AppError(ErrorCode.Validation, `\`status\` must be one of ${generationStatuses.join(', ')}.`, { expose: true, details: { option: 'status' } });
    }
    const modelName = interaction.options.getString('model');
    let model = null;
    if (modelName !== null) {
      const found = await findModel(ctx.db, 'checkpoint', modelName);
      if (!found) throw new AppError(ErrorCode.Validation, `\`model\`: there is no checkpoint called "${truncate(modelName, 100)}". Pick one from the list.`, { expose: true, details: { option: 'model' } });
      model = { id: found.id, fileName: found.fileName };
    }
    const page = await renderHistory({ userId: interaction.user.id, status: status as GenerationStatus | null, model }, ctx);
    await interaction.reply({ ...page, flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
  },
  async autocomplete(interaction, ctx) {
    const typed = String(interaction.options.getFocused());
    const choices = await modelChoicesFor(ctx.db, 'checkpoint', typed, { allowNsfw: true, guildId: interaction.guildId, roleIds: memberRoleIds(interaction) });
    await interaction.respond(choices.slice(0, autocompleteLimits.choices));
  },
};
