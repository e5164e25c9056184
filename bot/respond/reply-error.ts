import { MessageFlags, type RepliableInteraction } from 'discord.js';
import { AppError } from '#shared/errors.ts';
import type { Logger } from '#shared/logging.ts';
import { errorEmbed, genericErrorMessage } from '../embeds/error-embed.ts';

/** The text a user may see for an error: an exposed AppError's message, or a generic line. */
export function userFacingMessage(err: unknown): string {
  return err instanceof AppError && err.expose ? err.message : genericErrorMessage;
}

/**
 * Answers ephemerally, whatever state the interaction is in. A public defer cannot turn
 * ephemeral, so its loading message is removed and the error goes out as an ephemeral follow-up.
 */
export async function replyEphemeral(interaction: RepliableInteraction, message: string, logger: Logger): Promise<void> {
  const body = { embeds: [errorEmbed(message)], flags: MessageFlags.Ephemeral } as const;
  try {
    if (!interaction.deferred && !interaction.replied) {
      await interaction.reply(body);
      return;
    }
    if (interaction.deferred && !interaction.replied && !interaction.ephemeral) await interaction.deleteReply().catch(() => {});
    await interaction.followUp(body);
  } catch (err) {
    logger.warn({ err, interactionId: interaction.id }, 'could not send the error reply');
  }
}
