import { ApplicationCommandOptionType, type AutocompleteInteraction, type ChatInputCommandInteraction } from 'discord.js';
import type { APIApplicationCommandBasicOption, APIApplicationCommandSubcommandGroupOption } from 'discord-api-types/v10';
import { discordActor, setModelInGuild } from '#shared/moderation/guild-store.ts';
import { autocompleteLimits, truncate } from '#shared/render/limits.ts';
import type { BotContext } from '../../context.ts';
import { anyModelByName, guildModelChoices } from '../../db/model-queries.ts';
import { replyPrivately } from './reply.ts';

const modelOption: APIApplicationCommandBasicOption = {
  type: ApplicationCommandOptionType.String, name: 'model', description: 'A checkpoint or LoRA', required: true, autocomplete: true, max_length: autocompleteLimits.choiceValue,
};

export const modelGroup: APIApplicationCommandSubcommandGroupOption = {
  type: ApplicationCommandOptionType.SubcommandGroup, name: 'model', description: 'Switch a model on or off in this server only',
  options: [
    { type: ApplicationCommandOptionType.Subcommand, name: 'enable', description: 'Offer this model here again', options: [modelOption] },
    { type: ApplicationCommandOptionType.Subcommand, name: 'disable', description: 'Stop offering and accepting this model here', options: [modelOption] },
  ],
};

export async function runModel(interaction: ChatInputCommandInteraction, ctx: BotContext): Promise<void> {
  const name = interaction.options.getString('model', true);
  const stmt = anyModelByName(name);
  const model = (await ctx.db.executeSql<{ id: number; kind: string; displayName: string }>(stmt.text, stmt.values)).rows[0];
  if (!model) return replyPrivately(interaction, `There is no checkpoint or LoRA called "${truncate(name, 100)}". Pick one from the list.`);
  const enable = interaction.options.getSubcommand() === 'enable';
  const changed = await setModelInGuild(ctx.pool, interaction.guildId!, model.id, enable, discordActor(interaction.user.id));
  const what = `${model.kind === 'lora' ? 'LoRA' : 'Checkpoint'} ${model.displayName}`;
  if (!changed) return replyPrivately(interaction, `${what} is already ${enable ? 'on' : 'off'} in this server.`);
  await replyPrivately(interaction, enable ? `${what} is on again in this server.` : `${what} is off in this server: it is no longer offered, and requests naming it are refused.`);
}

export async function autocompleteModel(interaction: AutocompleteInteraction, ctx: BotContext): Promise<void> {
  const typed = truncate(String(interaction.options.getFocused()), autocompleteLimits.choiceValue, '');
  const stmt = guildModelChoices(interaction.guildId ?? '', typed);
  const { rows } = await ctx.db.executeSql<{ id: number; kind: string; fileName: string; displayName: string; offHere: boolean }>(stmt.text, stmt.values);
  await interaction.respond(
    rows.map((r) => ({
      name: truncate(`${r.kind === 'lora' ? 'LoRA' : 'checkpoint'} · ${r.displayName}${r.offHere ? ' (off here)' : ''}`, autocompleteLimits.choiceName),
      value: `#${r.id}`,
    })),
  );
}
