import type { ChatInputCommandInteraction, MessageComponentInteraction, ModalSubmitInteraction } from 'discord.js';
import type { Logger } from '#shared/logging.ts';
import type { MessageBody } from '#shared/render/queued-message.ts';
import { InteractionResponseType, Routes } from 'discord-api-types/v10';
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
 * request (`deferAfter <= 0` defers before the work). Returns the id of the message that now shows the
 * result when Discord said it (an edit of a deferred reply), else null.
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
  // The callback discord.js's reply() sends, through its own REST client and without asking for the
  // message back (`with_response`): Discord then answers 204, and neither side builds or parses the
  // message. In a burst of 200 /imagines that was a fifth of each reply's CPU (bench/interaction-latency.ts).
  // Delivery edits the reply through the token, which needs no id; the scheduler asks for the ids of
  // the replies whose token is about to expire undelivered (scheduler/jobs/keep-reply-ids.ts). The
  // flags are set as reply() sets them; our body is never ephemeral.
  await interaction.client.rest.post(Routes.interactionCallback(interaction.id, interaction.token), {
    body: { type: InteractionResponseType.ChannelMessageWithSource, data: body },
    auth: false,
  });
  interaction.ephemeral = false;
  interaction.replied = true;
  return null;
}
