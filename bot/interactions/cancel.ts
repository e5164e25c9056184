import { AppError, ErrorCode } from '#shared/errors.ts';
import { requestCancel } from '#shared/generation/cancel.ts';
import { CustomIdAction, decodeCustomId } from '../custom-id.ts';
import { cancelRequestedMessage } from '#shared/render/queued-message.ts';
import type { ComponentHandler } from '../handler-types.ts';
import { generationForButton } from '../services/generation-access.ts';

export interface CancelTarget {
  generationId: string;
}

/**
 * The Cancel button: the owner, or a moderator (Manage Messages) of the guild. Not started yet → cancelled at once; on a GPU →
 * `cancel_requested`, which the scheduler passes on to ComfyUI (DESIGN §4.4).
 */
export const cancelHandler: ComponentHandler<CancelTarget> = {
  action: CustomIdAction.Cancel,
  parse(customId) {
    return { generationId: decodeCustomId(customId).id };
  },
  async run(interaction, { generationId }, ctx) {
    await generationForButton(interaction, generationId, ctx, { audience: 'owner-or-moderator', doing: 'cancel it', allowDeleted: true });
    let updated;
    try {
      updated = await requestCancel(ctx.pool, ctx.boss, generationId);
    } catch (err) {
      if (err instanceof AppError && err.code === ErrorCode.InvalidTransition) {
        const from = (err.details as { from?: string } | undefined)?.from ?? 'finished';
        const already = from === 'cancel_requested' ? 'being cancelled already' : `already ${from}`;
        throw new AppError(ErrorCode.Conflict, `Nothing to cancel: this request is ${already}.`, { expose: true, details: { generationId, from } });
      }
      throw err;
    }
    ctx.logger.info({ generationId, userId: interaction.user.id }, 'cancel requested');
    await interaction.update(cancelRequestedMessage(updated));
  },
};
