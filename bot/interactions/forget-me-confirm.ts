import { eraseMember } from '#shared/erasure/erase-member.ts';
import { AppError, ErrorCode } from '#shared/errors.ts';
import { discordActor } from '#shared/moderation/guild-store.ts';
import { CustomIdAction, decodeCustomId } from '../custom-id.ts';
import type { ComponentHandler } from '../handler-types.ts';

export interface ForgetMeTarget {
  userId: string;
}

/** /forget-me's confirmation: erases the member who asked (only they can press it), then says what went. */
export const forgetMeConfirmHandler: ComponentHandler<ForgetMeTarget> = {
  action: CustomIdAction.ForgetMe,
  parse(customId) {
    return { userId: decodeCustomId(customId).id };
  },
  async run(interaction, { userId }, ctx) {
    if (interaction.user.id !== userId) {
      throw new AppError(ErrorCode.Forbidden, 'Only the person who asked to be forgotten can confirm it.', { expose: true });
    }
    await interaction.deferUpdate();
    const result = await eraseMember({ pool: ctx.pool, boss: ctx.boss, storage: ctx.images.storage }, userId, discordActor(userId));
    ctx.logger.info({ generations: result.generations, files: result.files, stillStopping: result.stillStopping }, 'member erased at their request');
    const stopping = result.stillStopping ? ` ${result.stillStopping} request(s) still stopping on a GPU will be erased as soon as they stop.` : '';
    await interaction.editReply({
      content: `Done: ${result.generations} request(s) and ${result.files} stored file(s) erased, and your usage counts reset.${stopping}`,
      components: [],
    });
  },
};
