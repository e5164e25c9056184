import { InteractionResponseType, MessageFlags, Routes, type RESTPostAPIInteractionCallbackJSONBody } from 'discord-api-types/v10';
import type { REST } from '@discordjs/rest';
import type { Logger } from '#shared/logging.ts';
import { errorEmbed } from '../embeds/error-embed.ts';

export const unreadableMessage = 'Discord delivered this request incomplete, so it could not be read. Please try again.';
export const unsupportedMessage = 'This kind of request is not something this bot handles.';

/**
 * The answer for an interaction discord.js never handed us: an ephemeral error for commands,
 * components and modals, no choices for autocomplete, nothing for types Discord does not document
 * (no callback type is known to be valid for them). Pure.
 */
export function unreadAnswer(type: unknown, message: string): RESTPostAPIInteractionCallbackJSONBody | null {
  if (type === 4) return { type: InteractionResponseType.ApplicationCommandAutocompleteResult, data: { choices: [] } };
  if (type === 2 || type === 3 || type === 5) {
    return { type: InteractionResponseType.ChannelMessageWithSource, data: { embeds: [errorEmbed(message)], flags: MessageFlags.Ephemeral } };
  }
  return null;
}

/** Answers a raw payload through REST with `unreadAnswer`, when it has an id and token to answer with. */
export async function answerUnread(rest: REST, payload: { id?: unknown; token?: unknown; type?: unknown }, message: string, logger: Logger): Promise<boolean> {
  const body = unreadAnswer(payload.type, message);
  const { id, token } = payload;
  if (!body || typeof id !== 'string' || !/^\d{1,20}$/.test(id) || typeof token !== 'string' || token === '') return false;
  try {
    await rest.post(Routes.interactionCallback(id, token), { body, auth: false });
    return true;
  } catch (err) {
    logger.warn({ err, interactionId: id }, 'could not answer the unreadable interaction');
    return false;
  }
}
