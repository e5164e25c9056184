import { PermissionFlagsBits, type BaseInteraction } from 'discord.js';
import { GenerationRepository, type GenerationRow } from '#shared/db/repositories/generation-repository.ts';
import { AppError, ErrorCode } from '#shared/errors.ts';
import type { BotContext } from '../context.ts';

/** Who may press a result button: its owner only, or its owner and the guild's moderators (Manage Messages). */
export type ButtonAudience = 'owner' | 'owner-or-moderator';

/** A member with Manage Messages in the guild the generation was made in (Discord's resolved permissions). */
export function isModeratorFor(interaction: BaseInteraction, g: Pick<GenerationRow, 'guildId'>): boolean {
  return g.guildId !== null && interaction.guildId === g.guildId && interaction.memberPermissions?.has(PermissionFlagsBits.ManageMessages) === true;
}

/**
 * The generation a button names, read from the database (the custom id carries only its id), if the
 * presser may act on it; otherwise an exposed error the router answers ephemerally. `doing` ends the
 * refusal: "Only the person who asked for this image can <doing>."
 */
export async function generationForButton(
  interaction: BaseInteraction,
  generationId: string,
  ctx: BotContext,
  opts: { audience: ButtonAudience; doing: string; allowDeleted?: boolean },
): Promise<GenerationRow> {
  const g = await new GenerationRepository(ctx.db).find(generationId);
  if (!g && !interaction.isMessageComponent()) {
    throw new AppError(ErrorCode.NotFound, `There is no generation with the id ${generationId}.`, { expose: true, details: { generationId } });
  }
  if (!g) {
    throw new AppError(ErrorCode.CustomIdTampered, 'This button does not belong to any request we know.', { status: 400, expose: true, details: { generationId } });
  }
  const owner = g.userId === interaction.user.id;
  if (!owner && !(opts.audience === 'owner-or-moderator' && isModeratorFor(interaction, g))) {
    const who = opts.audience === 'owner' ? 'the person who asked for this image' : 'the person who asked for this image or a moderator';
    throw new AppError(ErrorCode.Forbidden, `Only ${who} can ${opts.doing}.`, { expose: true, details: { generationId } });
  }
  if (g.deletedAt && !opts.allowDeleted) {
    throw new AppError(ErrorCode.Conflict, 'This image was deleted.', { expose: true, details: { generationId } });
  }
  return g;
}
