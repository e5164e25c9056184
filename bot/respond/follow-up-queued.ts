import { setTimeout as delay } from 'node:timers/promises';
import { Routes } from 'discord-api-types/v10';
import type { ChatInputCommandInteraction, MessageComponentInteraction, ModalSubmitInteraction } from 'discord.js';
import { backoffDelay } from '#shared/comfyui/backoff.ts';
import type { Logger } from '#shared/logging.ts';
import type { MessageBody } from '#shared/render/queued-message.ts';

type Replied = ChatInputCommandInteraction | ModalSubmitInteraction | MessageComponentInteraction;

/** How long the bot keeps trying to tell a member their request was queued. */
export const followUpForMs = 120_000;
const followUpBackoff = { baseMs: 500, maxMs: 10_000 };

/** Discord itself failed (5xx, after discord.js's own retries), as opposed to refusing our request. */
export function isDiscordOutage(err: unknown): boolean {
  const status = (err as { status?: unknown } | null)?.status;
  return typeof status === 'number' && status >= 500;
}

/**
 * The first reply failed with a Discord 5xx after the request was queued: the member saw "This
 * interaction failed" and may send it again. Once Discord answers, the reply is found (it may have
 * landed after all) or the queued message, with its Cancel button, is posted in the channel
 * mentioning the member — once: the nonce makes a repeated post land once.
 * Returns the id of the message that shows the request, or null when `stillWanted` says the request
 * moved on (its result is then delivered anyway) or Discord stayed down for `followUpForMs`.
 */
export async function followUpQueued(
  interaction: Replied, body: MessageBody, generationId: string, logger: Logger, stillWanted: () => Promise<boolean>,
): Promise<string | null> {
  const rest = interaction.client.rest;
  const deadline = Date.now() + followUpForMs;
  for (let attempt = 0; ; attempt++) {
    try {
      const landed = await interaction.fetchReply().catch((err: unknown) => {
        if (isDiscordOutage(err)) throw err;
        return undefined; // 404: the reply never landed
      });
      if (landed) return landed.id;
      if (!(await stillWanted())) return null;
      const message = (await rest.post(Routes.channelMessages(interaction.channelId!), {
        body: {
          ...body,
          content: `<@${interaction.user.id}> your request is queued (Discord failed the first reply).`,
          nonce: generationId.replace(/-/g, '').slice(0, 25),
          enforce_nonce: true,
          allowed_mentions: { users: [interaction.user.id] },
        },
      })) as { id: string };
      logger.info({ generationId, attempts: attempt + 1 }, 'followed up a failed first reply: the request is queued');
      return message.id;
    } catch (err) {
      if (!isDiscordOutage(err) || Date.now() >= deadline) {
        logger.error({ err, generationId }, 'could not tell the member their request is queued');
        return null;
      }
      await delay(backoffDelay(attempt, followUpBackoff));
    }
  }
}
