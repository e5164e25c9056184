import { ApplicationCommandOptionType, type ChatInputCommandInteraction } from 'discord.js';
import type { APIApplicationCommandSubcommandOption } from 'discord-api-types/v10';
import { discordActor, pauseGuild, resumeGuild } from '#shared/moderation/guild-store.ts';
import type { BotContext } from '../../context.ts';
import { replyPrivately } from './reply.ts';

export const pauseReasonMax = 200;

export const pauseSubcommand: APIApplicationCommandSubcommandOption = {
  type: ApplicationCommandOptionType.Subcommand, name: 'pause', description: 'Stop new image requests here; queued ones wait',
  options: [{ type: ApplicationCommandOptionType.String, name: 'reason', description: 'What members are told', max_length: pauseReasonMax }],
};

export const resumeSubcommand: APIApplicationCommandSubcommandOption = {
  type: ApplicationCommandOptionType.Subcommand, name: 'resume', description: 'Allow image requests here again; waiting ones start',
};

export async function runPause(interaction: ChatInputCommandInteraction, ctx: BotContext): Promise<void> {
  const reason = interaction.options.getString('reason')?.trim().slice(0, pauseReasonMax) || null;
  const { before } = await pauseGuild(ctx.pool, interaction.guildId!, reason, discordActor(interaction.user.id));
  await replyPrivately(
    interaction,
    `${before.paused ? 'Generation was already paused here; the reason is updated.' : 'Generation is paused in this server.'} New requests are refused${reason ? ` with: ${reason}` : ''}; queued ones wait until \`/genadmin resume\`. Requests already on an image server finish.`,
  );
}

export async function runResume(interaction: ChatInputCommandInteraction, ctx: BotContext): Promise<void> {
  const { before, released } = await resumeGuild(ctx.pool, ctx.boss, interaction.guildId!, discordActor(interaction.user.id));
  if (!before.paused) {
    await replyPrivately(interaction, 'Generation was not paused here; nothing changed.');
    return;
  }
  await replyPrivately(interaction, `Generation is resumed in this server.${released ? ` ${released} waiting request${released === 1 ? '' : 's'} will start now.` : ''}`);
}
