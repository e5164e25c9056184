import { ApplicationCommandOptionType, ButtonStyle, ComponentType, InteractionContextType } from 'discord.js';
import { ApplicationCommandType, type RESTPostAPIChatInputApplicationCommandsJSONBody } from 'discord-api-types/v10';
import type { GenerationRow } from '#shared/db/repositories/generation-repository.ts';
import { statedUploadCap, uploadCap } from '#shared/discord/upload-cap.ts';
import { AppError, ErrorCode } from '#shared/errors.ts';
import { renderProgress } from '#shared/render/progress-message.ts';
import { renderCancelled, renderFailure } from '#shared/render/result-message.ts';
import { renderResultPage, type ResultFile } from '#shared/render/result-page.ts';
import type { BotContext } from '../context.ts';
import { CustomIdAction, encodeCustomId } from '../custom-id.ts';
import { inert } from '../embeds/inert-text.ts';
import type { SlashCommand } from '../handler-types.ts';
import { guildOnly } from '../preconditions/guild-only.ts';
import { generationForButton } from '../services/generation-access.ts';

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const generationData: RESTPostAPIChatInputApplicationCommandsJSONBody = {
  type: ApplicationCommandType.ChatInput,
  name: 'generation',
  description: 'Show one of your generations again, with its buttons',
  contexts: [InteractionContextType.Guild],
  options: [{ type: ApplicationCommandOptionType.String, name: 'id', description: 'Its id (shown under every result and in /generations)', required: true, max_length: 36 }],
};

type Recalled = { content?: string; embeds: Record<string, unknown>[]; components?: unknown[]; files: ResultFile[] };

/** The generation as its message shows it now; the prompt is shown inert (no markdown, no mentions). */
async function recall(g: GenerationRow, ctx: BotContext, cap: number): Promise<Recalled> {
  const shown = { ...g, prompt: inert(g.prompt) };
  if (g.status === 'succeeded') return (({ message, files }) => ({ ...message, files }))(await renderResultPage(shown, ctx.images, undefined, cap));
  if (g.status === 'failed') return { ...renderFailure(shown), files: [] };
  if (g.status === 'cancelled') return { ...renderCancelled(shown), files: [] };
  const cancel = g.status === 'cancel_requested'
    ? []
    : [{ type: ComponentType.ActionRow, components: [{ type: ComponentType.Button, style: ButtonStyle.Danger, label: 'Cancel', custom_id: encodeCustomId(CustomIdAction.Cancel, g.id) }] }];
  return { ...renderProgress(shown), components: cancel, files: [] };
}

/**
 * `/generation id`: re-posts one generation in the channel with its buttons (its owner, or a
 * moderator of its server). Reading and uploading the image may take a while, so it defers first.
 */
export const generation: SlashCommand = {
  data: generationData,
  preconditions: [guildOnly],
  async run(interaction, ctx) {
    const id = interaction.options.getString('id', true).trim().toLowerCase();
    if (!uuid.test(id)) {
      throw new AppError(ErrorCode.Validation, '`id` must be a generation id like 0b0c2b52-4a7b-4b8e-9c1a-1234567890ab (see /generations).', { expose: true, details: { option: 'id' } });
    }
    const g = await generationForButton(interaction, id, ctx, { audience: 'owner-or-moderator', doing: 'show it again' });
    await interaction.deferReply();
    const { files, ...body } = await recall(g, ctx, uploadCap(statedUploadCap(interaction.attachmentSizeLimit)));
    await interaction.editReply({
      content: body.content ?? '',
      embeds: body.embeds,
      components: (body.components ?? []) as never,
      files: files.map((f) => ({ attachment: f.data, name: f.name })),
      allowedMentions: { parse: [] },
    });
  },
};
