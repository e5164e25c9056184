import { CustomIdAction, decodeCustomId } from '../custom-id.ts';
import type { ComponentHandler } from '../handler-types.ts';
import { historyModel, renderHistory } from '../services/history.ts';
import { decodeHistoryTarget, type HistoryTarget } from '../services/history-position.ts';

/**
 * ◀ ▶ on `/generations`: the next or previous keyset page of the presser's own history (the custom
 * id carries filters and position, never a user, so nobody can page through someone else's).
 */
export const historyPageHandler: ComponentHandler<HistoryTarget> = {
  action: CustomIdAction.History,
  parse(customId) {
    return decodeHistoryTarget(decodeCustomId(customId).id);
  },
  async run(interaction, target, ctx) {
    const model = await historyModel(ctx, target.modelId);
    const page = await renderHistory({ userId: interaction.user.id, status: target.status, model, from: target.from }, ctx);
    await interaction.update({ ...page, allowedMentions: { parse: [] } });
  },
};
