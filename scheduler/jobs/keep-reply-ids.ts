import { DiscordAPIError } from '@discordjs/rest';
import { Routes } from 'discord-api-types/v10';
import { repliesNearTokenExpiry, setGenerationMessages, type ReplyToIdentify } from '#shared/db/sql/reply-messages.ts';
import type { JobPayload } from '#shared/queue/contracts.ts';
import type { JobDefinition } from '../context.ts';

/**
 * The bot replies to /imagine without asking Discord for the reply's message (a fifth of a reply's
 * CPU in a burst, bench/interaction-latency.ts); delivery edits through the interaction token, which
 * needs no id. Only a request still undelivered when its token dies needs the id: its result is then
 * edited into the reply as the bot's own channel message. So, for the tokens that expire within the
 * next few minutes, this asks Discord which message each reply is (one GET through the token) and
 * stores the ids. Runs every minute: a token gets several tries inside the window.
 */
// From 45 s before the token's end (delivery stops using a token 30 s before it, tokenMarginMs in
// deliver.ts; the rest is time for the GET) back to 5 minutes before it.
const replyIdWindowSeconds = { from: 45, to: 300 };
const perRun = 500;
const inFlight = 8;

export const keepReplyIdsJob: JobDefinition<JobPayload<'keep-reply-ids'>> & { name: 'keep-reply-ids' } = {
  name: 'keep-reply-ids',
  async handle(ctx, _payload, { logger }) {
    const select = repliesNearTokenExpiry(replyIdWindowSeconds.from, replyIdWindowSeconds.to, perRun);
    const replies = [...(await ctx.db.executeSql<ReplyToIdentify>(select.text, select.values)).rows];
    const found: { generationId: string; messageId: string }[] = [];
    const identify = async (reply: ReplyToIdentify) => {
      try {
        const message = (await ctx.discordInteractions.get(Routes.webhookMessage(reply.applicationId, reply.interactionToken, '@original'), { auth: false })) as { id: string };
        found.push({ generationId: reply.id, messageId: message.id });
      } catch (err) {
        // Deleted by the member or a moderator: nothing to edit later; delivery posts anew.
        if (err instanceof DiscordAPIError && err.status === 404) logger.debug({ generationId: reply.id }, 'the reply is gone');
        else logger.warn({ err, generationId: reply.id }, 'could not ask Discord for the reply; tried again next minute');
      }
    };
    await Promise.all(Array.from({ length: Math.min(inFlight, replies.length) }, async () => {
      for (let next = replies.shift(); next; next = replies.shift()) await identify(next);
    }));
    if (found.length > 0) {
      const { text, values } = setGenerationMessages(found);
      await ctx.db.executeSql(text, values);
      logger.info({ stored: found.length }, 'stored the message ids of replies whose token expires soon');
    }
  },
};
