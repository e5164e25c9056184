import type { ChatInputCommandInteraction, MessageComponentInteraction, ModalSubmitInteraction } from 'discord.js';
import type { Logger } from '#shared/logging.ts';
import type { MessageBody } from '#shared/render/queued-message.ts';
import { InteractionResponseType, Routes, type RESTPostAPIInteractionCallbackWithResponseResult } from 'discord-api-types/v10';
import { asApiBody } from './api-body.ts';

/** Discord invalidates an interaction not acknowledged within 3 s; defer well before that. */
export const deferAfterMs = 1_500;

/**
 * When to defer a reply whose work starts now: Discord's 3 s count from the interaction's creation,
 * so a handler that did work first (a button's owner check reads the database) has less left. Never
 * later than `deferAfter`; a clock behind Discord's only makes it the usual `deferAfter`. Pure.
 */
export function deferAfterFor(createdTimestamp: number, deferAfter: number, now = Date.now()): number {
  if (deferAfter <= 0) return deferAfter;
  const spent = Math.max(0, now - createdTimestamp);
  return Math.max(1, deferAfter - spent);
}

/**
 * Runs `work` and replies with its message. If the work is still running after `deferAfterMs`, the
 * interaction is deferred first and the reply becomes an edit, so a slow database never loses a
 * request (`deferAfter <= 0` defers before the work). Returns the id of the message that now shows the result (null if Discord did not say).
 */
export async function replyInTime(
  interaction: ChatInputCommandInteraction | ModalSubmitInteraction | MessageComponentInteraction,
  work: () => Promise<MessageBody>,
  logger: Logger,
  deferAfter = deferAfterMs,
): Promise<string | null> {
  const defer = () => interaction.deferReply().catch((err: unknown) => logger.warn({ err }, 'deferReply failed'));
  // 0 or less: defer before any work (deterministic, used by tests of the deferred path).
  let deferring: Promise<unknown> | undefined = deferAfter <= 0 ? defer() : undefined;
  const timer = deferring ? undefined : setTimeout(() => (deferring = defer()), deferAfter);
  let body: MessageBody;
  try {
    body = await work();
  } finally {
    clearTimeout(timer);
    if (deferring) await deferring;
  }
  if (interaction.deferred) return (await interaction.editReply(asApiBody(body))).id;
  // The callback discord.js's reply({ withResponse }) sends, sent through its own REST client: the
  // reply's message id comes from the raw response instead of from the Message (and its channel
  // cache entry) discord.js builds out of it, which nothing here reads. In a burst of 200 /imagines
  // that was ~0.1 ms of CPU per reply. The flags are set as reply() sets them; our body is never
  // ephemeral.
  const response = (await interaction.client.rest.post(Routes.interactionCallback(interaction.id, interaction.token), {
    body: { type: InteractionResponseType.ChannelMessageWithSource, data: body },
    auth: false,
    query: new URLSearchParams({ with_response: 'true' }),
  })) as RESTPostAPIInteractionCallbackWithResponseResult | undefined;
  interaction.ephemeral = false;
  interaction.replied = true;
  return response?.resource?.message?.id ?? null;
}
