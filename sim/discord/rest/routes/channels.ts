import { DiscordErrors, DiscordHttpError } from '../../errors.ts';
import { createMessage, editMessage, isEmptyMessage, toApiMessage, type MessagePayload } from '../../messages.ts';
import type { SimState } from '../../state.ts';
import type { SimChannel, SimMessage } from '../../types.ts';
import { checkMessageLimits } from '../../validation/limits.ts';
import type { RouteContext, Router } from '../router.ts';

function channelOf(state: SimState, ctx: RouteContext): SimChannel {
  const channel = state.channels.get(ctx.params.channel_id!);
  if (!channel) throw DiscordErrors.unknownChannel();
  return channel;
}

function messageOf(state: SimState, ctx: RouteContext): SimMessage {
  const channel = channelOf(state, ctx);
  const message = state.messages.get(ctx.params.message_id!);
  if (!message || message.deleted || message.channel_id !== channel.id) throw DiscordErrors.unknownMessage();
  return message;
}

const limits = (ctx: RouteContext) => checkMessageLimits(ctx.body ?? {}, ctx.files.length);

// Discord checks an enforced nonce for uniqueness "in the past few minutes" (message.mdx).
const nonceWindowMs = 5 * 60_000;

export function registerChannelRoutes(router: Router, state: SimState): void {
  const base = '/channels/{channel_id}/messages';
  const nonces = new Map<string, { messageId: string; at: number }>();
  router.add({
    method: 'GET', template: base, auth: 'bot',
    handler: (ctx) => {
      channelOf(state, ctx);
      const limit = Math.min(100, Number(ctx.query.get('limit') ?? 50));
      const newestFirst = state.channelMessages(ctx.params.channel_id!).slice().reverse().slice(0, limit);
      return { status: 200, body: newestFirst.map(toApiMessage) };
    },
  });
  router.add({
    method: 'POST', template: base, auth: 'bot', limits,
    handler: (ctx) => {
      const channel = channelOf(state, ctx);
      const payload = (ctx.body ?? {}) as MessagePayload;
      if (isEmptyMessage(payload, ctx.files)) throw DiscordErrors.emptyMessage();
      const { nonce, enforce_nonce: enforce } = (ctx.body ?? {}) as { nonce?: string | number; enforce_nonce?: boolean };
      const nonceKey = enforce && nonce !== undefined ? `${state.botUser.id}:${channel.id}:${nonce}` : undefined;
      const seen = nonceKey ? nonces.get(nonceKey) : undefined;
      if (seen && state.clock.now() - seen.at < nonceWindowMs) {
        const earlier = state.messages.get(seen.messageId);
        // Same author, same enforced nonce, recently: Discord returns the earlier message, creates none.
        if (earlier && !earlier.deleted) return { status: 200, body: toApiMessage(earlier) };
      }
      const message = createMessage(state, { channelId: channel.id, guildId: channel.guildId, author: state.apiUser(state.botUser), payload, files: ctx.files });
      if (nonceKey) nonces.set(nonceKey, { messageId: message.id, at: state.clock.now() });
      return { status: 200, body: toApiMessage(message) };
    },
  });
  const one = `${base}/{message_id}`;
  router.add({ method: 'GET', template: one, auth: 'bot', handler: (ctx) => ({ status: 200, body: toApiMessage(messageOf(state, ctx)) }) });
  router.add({
    method: 'PATCH', template: one, auth: 'bot', limits,
    handler: (ctx) => {
      const message = messageOf(state, ctx);
      if (message.author.id !== state.botUser.id) throw new DiscordHttpError(403, 50005, 'Cannot edit a message authored by another user');
      return { status: 200, body: toApiMessage(editMessage(state, message, (ctx.body ?? {}) as MessagePayload, ctx.files)) };
    },
  });
  router.add({
    method: 'DELETE', template: one, auth: 'bot',
    handler: (ctx) => {
      messageOf(state, ctx).deleted = true;
      return { status: 204 };
    },
  });
}
