import { DiscordErrors } from '../../errors.ts';
import { createMessage, editMessage, isEmptyMessage, MessageFlag, toApiMessage, type MessagePayload } from '../../messages.ts';
import type { InteractionRecord, SimState } from '../../state.ts';
import type { SimMessage } from '../../types.ts';
import { checkMessageLimits } from '../../validation/limits.ts';
import type { RouteContext, Router } from '../router.ts';

export const TOKEN_LIFETIME_MS = 15 * 60_000;

/** The interaction behind `/webhooks/{app}/{token}`: must exist, be acked, and be younger than 15 minutes. */
function interactionFor(state: SimState, ctx: RouteContext): InteractionRecord {
  if (ctx.params.webhook_id !== state.applicationId) throw DiscordErrors.unknownWebhook();
  const rec = state.interactionByToken(ctx.params.webhook_token!);
  if (!rec) throw DiscordErrors.unknownWebhook();
  if (state.clock.now() - rec.createdAt > TOKEN_LIFETIME_MS) throw DiscordErrors.invalidWebhookToken();
  if (rec.ackType === undefined) throw DiscordErrors.unknownWebhook();
  return rec;
}

function messageFor(state: SimState, rec: InteractionRecord, messageId: string): SimMessage {
  const id = messageId === '@original' ? rec.originalMessageId : messageId;
  const owned = id !== undefined && (id === rec.originalMessageId || rec.followUpIds.includes(id));
  const message = owned ? state.messages.get(id) : undefined;
  if (!message || message.deleted) throw DiscordErrors.unknownMessage();
  return message;
}

const limits = (ctx: RouteContext) => checkMessageLimits(ctx.body ?? {}, ctx.files.length);

export function registerWebhookRoutes(router: Router, state: SimState): void {
  router.add({
    method: 'POST', template: '/webhooks/{webhook_id}/{webhook_token}', auth: 'none', limits,
    handler: (ctx) => {
      const rec = interactionFor(state, ctx);
      const payload = (ctx.body ?? {}) as MessagePayload;
      if (isEmptyMessage(payload, ctx.files)) throw DiscordErrors.emptyMessage();
      const original = rec.originalMessageId ? state.messages.get(rec.originalMessageId) : undefined;
      let message: SimMessage;
      if (rec.ackType === 5 && original && ((original.flags ?? 0) & MessageFlag.Loading)) {
        // Deprecated but live behaviour: the first follow-up after a defer replaces the loading message.
        message = editMessage(state, original, payload, ctx.files);
      } else {
        message = createMessage(state, {
          channelId: rec.channelId, guildId: rec.guildId, author: state.apiUser(state.botUser), payload, files: ctx.files,
          webhookId: state.applicationId, interactionToken: rec.token, type: rec.type === 2 ? 20 : 0,
        });
        rec.followUpIds.push(message.id);
      }
      return ctx.query.get('wait') === 'true' ? { status: 200, body: toApiMessage(message) } : { status: 204 };
    },
  });
  for (const suffix of ['@original', '{message_id}']) {
    const template = `/webhooks/{webhook_id}/{webhook_token}/messages/${suffix}`;
    const idOf = (ctx: RouteContext) => ctx.params.message_id ?? '@original';
    router.add({
      method: 'GET', template, auth: 'none',
      handler: (ctx) => ({ status: 200, body: toApiMessage(messageFor(state, interactionFor(state, ctx), idOf(ctx))) }),
    });
    router.add({
      method: 'PATCH', template, auth: 'none', limits,
      handler: (ctx) => {
        const message = messageFor(state, interactionFor(state, ctx), idOf(ctx));
        return { status: 200, body: toApiMessage(editMessage(state, message, (ctx.body ?? {}) as MessagePayload, ctx.files)) };
      },
    });
    router.add({
      method: 'DELETE', template, auth: 'none',
      handler: (ctx) => {
        messageFor(state, interactionFor(state, ctx), idOf(ctx)).deleted = true;
        return { status: 204 };
      },
    });
  }
}
