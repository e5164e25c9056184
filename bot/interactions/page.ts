import { statedUploadCap, uploadCap } from '#shared/discord/upload-cap.ts';
import { AppError, ErrorCode } from '#shared/errors.ts';
import { renderResultPage } from '#shared/render/result-page.ts';
import { CustomIdAction, decodeCustomId, parsePageId } from '../custom-id.ts';
import type { ComponentHandler } from '../handler-types.ts';
import { generationForButton } from '../services/generation-access.ts';

export interface PageTarget {
  generationId: string;
  index: number;
}

/**
 * ◀ ▶: the result message shows image `index` of the batch ("2 / 4"). The generation and its stored
 * outputs come from the database, the image from storage; the message is re-rendered as the
 * delivery renders it, with that image attached in place of the previous one.
 */
export const pageHandler: ComponentHandler<PageTarget> = {
  action: CustomIdAction.Page,
  parse(customId) {
    return parsePageId(decodeCustomId(customId).id);
  },
  async run(interaction, { generationId, index }, ctx) {
    const g = await generationForButton(interaction, generationId, ctx, { audience: 'owner-or-moderator', doing: 'page through it' });
    if (!g.outputs.some((o) => o.index === index && o.status === 'stored')) {
      throw new AppError(ErrorCode.Gone, `Image ${index + 1} of this request is no longer stored.`, { expose: true, details: { generationId, index } });
    }
    // Reading and uploading the image may take a while: acknowledge first (within Discord's 3 s).
    await interaction.deferUpdate();
    const { message, files } = await renderResultPage(g, ctx.images, index, uploadCap(statedUploadCap(interaction.attachmentSizeLimit)));
    await interaction.editReply({
      content: message.content,
      embeds: message.embeds,
      components: message.components as never,
      files: files.map((f) => ({ attachment: f.data, name: f.name })),
      attachments: [],
      allowedMentions: { parse: [] },
    });
  },
};
