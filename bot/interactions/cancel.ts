import { GenerationRepository } from '#shared/db/repositories/generation-repository.ts';
import { AppError, ErrorCode } from '#shared/errors.ts';
import { requestCancel } from '#shared/generation/cancel.ts';
import { CustomIdAction, decodeCustomId } from '../custom-id.ts';
import { cancelRequestedMessage } from '../embeds/queued-embed.ts';
import type { ComponentHandler } from '../handler-types.ts';

export interface CancelTarget {
  generationId: string;
}

/**
 * The Cancel button: only the owner may press it. Not started yet → cancelled at once; on a GPU →
 * `cancel_requested`, which the scheduler passes on to ComfyUI (DESIGN §4.4).
 */
export const cancelHandler: ComponentHandler<CancelTarget> = {
  action: CustomIdAction.Cancel,
  parse(customId) {
    return { generationId: decodeCustomId(customId).id };
  },
  async run(interaction, { generationId }, ctx) {
    const repo = new GenerationRepository(ctx.db);
    const generation = await repo.find(generationId);
    if (!generation) {
      throw new AppError(ErrorCode.CustomIdTampered, 'This button does not belong to any request we know.', {
        status: 400, expose: true, details: { generationId },
      });
    }
    if (generation.userId !== interaction.user.id) {
      throw new AppError(ErrorCode.Forbidden, 'Only the person who asked for this image can cancel it.', { expose: true, details: { generationId } });
    }
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
