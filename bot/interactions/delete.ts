import { markGenerationDeleted } from '#shared/db/sql/generations.ts';
import { CustomIdAction, decodeCustomId } from '../custom-id.ts';
import type { ComponentHandler } from '../handler-types.ts';
import { generationForButton } from '../services/generation-access.ts';

export interface DeleteTarget {
  generationId: string;
}

/**
 * 🗑: marks the generation deleted (its image links answer 410 from then on) and removes the
 * message. The owner, or a moderator (Manage Messages) of the guild. Pressing it twice is harmless.
 */
export const deleteHandler: ComponentHandler<DeleteTarget> = {
  action: CustomIdAction.Delete,
  parse(customId) {
    return { generationId: decodeCustomId(customId).id };
  },
  async run(interaction, { generationId }, ctx) {
    const g = await generationForButton(interaction, generationId, ctx, { audience: 'owner-or-moderator', doing: 'delete it', allowDeleted: true });
    await interaction.deferUpdate();
    const { text, values } = markGenerationDeleted(g.id);
    const marked = (await ctx.db.executeSql(text, values)).rows.length > 0;
    ctx.logger.info({ generationId, userId: interaction.user.id, byOwner: g.userId === interaction.user.id, marked }, 'generation deleted');
    // @original of a component interaction is the message the button sits on.
    await interaction.deleteReply();
  },
};
