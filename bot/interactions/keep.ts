import { MessageFlags } from 'discord.js';
import type { GenerationOutput } from '#shared/db/entities/generation.ts';
import { setKept } from '#shared/db/sql/keep.ts';
import { AppError, ErrorCode } from '#shared/errors.ts';
import { isKept, keepState } from '#shared/retention/keep-state.ts';
import { CustomIdAction, decodeCustomId } from '../custom-id.ts';
import type { ComponentHandler } from '../handler-types.ts';
import { generationForButton } from '../services/generation-access.ts';

export interface KeepTarget {
  generationId: string;
}

/**
 * ⭐: keeps every image of the generation from retention (age and size caps), or stops keeping them
 * when they all are. The owner, or a moderator (Manage Messages) of the guild; answered ephemerally.
 */
export const keepHandler: ComponentHandler<KeepTarget> = {
  action: CustomIdAction.Keep,
  parse(customId) {
    return { generationId: decodeCustomId(customId).id };
  },
  async run(interaction, { generationId }, ctx) {
    const g = await generationForButton(interaction, generationId, ctx, { audience: 'owner-or-moderator', doing: 'keep it' });
    if (keepState(g.outputs).stored === 0) {
      throw new AppError(ErrorCode.Conflict, 'There is nothing left to keep: these images were already removed.', { expose: true, details: { generationId } });
    }
    const keep = !isKept(g.outputs);
    const { text, values } = setKept(g.id, keep);
    const outputs = (await ctx.db.executeSql<{ outputs: GenerationOutput[] }>(text, values)).rows[0]?.outputs ?? [];
    const { stored } = keepState(outputs);
    ctx.logger.info({ generationId, userId: interaction.user.id, kept: keep }, keep ? 'generation kept' : 'generation no longer kept');
    const one = stored === 1;
    await interaction.reply({
      content: keep
        ? `⭐ Kept: ${one ? 'this image' : `these ${stored} images`} will not be removed by the retention policy. Press ⭐ again to stop keeping ${one ? 'it' : 'them'}.`
        : `${one ? 'This image is' : `These ${stored} images are`} no longer kept: the retention policy may remove ${one ? 'it' : 'them'} once old enough.`,
      flags: MessageFlags.Ephemeral,
    });
  },
};
