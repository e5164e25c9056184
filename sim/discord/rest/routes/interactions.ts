import { DiscordErrors, ErrorTree } from '../../errors.ts';
import { createMessage, editMessage, isEmptyMessage, MessageFlag, type MessagePayload } from '../../messages.ts';
import type { InteractionRecord, SimState } from '../../state.ts';
import type { RecordedResponse, SimMessage } from '../../types.ts';
import type { IncomingFile } from '../../uploads.ts';
import { checkAutocompleteLimits, checkMessageLimits, checkModalLimits } from '../../validation/limits.ts';
import type { RouteContext, Router } from '../router.ts';

export const ACK_DEADLINE_MS = 3_000;

const Callback = { Pong: 1, Message: 4, DeferredMessage: 5, DeferredUpdate: 6, UpdateMessage: 7, Autocomplete: 8, Modal: 9 } as const;

/** Which callback types each interaction type accepts (NOTES §REST 3). */
const allowedCallbacks: Record<number, number[]> = {
  2: [4, 5, 9],
  3: [4, 5, 6, 7, 9],
  4: [8],
  5: [4, 5, 6, 7],
};

interface CallbackBody {
  type: number;
  data?: Record<string, unknown>;
}

function checkLimits(ctx: RouteContext): ErrorTree | null {
  const body = ctx.body as CallbackBody | undefined;
  if (!body) return null;
  if (body.type === Callback.Message || body.type === Callback.UpdateMessage) {
    const tree = checkMessageLimits(body.data ?? {}, ctx.files.length);
    return tree.size ? prefixed(tree.toJSON()) : null;
  }
  if (body.type === Callback.Modal) return checkModalLimits(body.data);
  if (body.type === Callback.Autocomplete) return checkAutocompleteLimits(body.data);
  return null;
}

/** Message-level limit errors are reported under `data` for callbacks, as Discord does. */
function prefixed(errors: Record<string, unknown>): ErrorTree {
  const tree = new ErrorTree();
  const walk = (node: Record<string, unknown>, path: string[]) => {
    for (const [k, v] of Object.entries(node)) {
      if (k === '_errors') for (const e of v as Array<{ code: string; message: string }>) tree.add(['data', ...path], e.code, e.message);
      else walk(v as Record<string, unknown>, [...path, k]);
    }
  };
  walk(errors, []);
  return tree;
}

export function recordResponse(rec: InteractionRecord, response: RecordedResponse): void {
  rec.responses.push(response);
  const waiters = rec.waiters.splice(0);
  for (const w of waiters) w(response);
}

function applyCallback(state: SimState, rec: InteractionRecord, body: CallbackBody, files: IncomingFile[]): SimMessage | undefined {
  const data = (body.data ?? {}) as MessagePayload;
  const author = state.apiUser(state.botUser);
  const common = {
    channelId: rec.channelId, guildId: rec.guildId, author, webhookId: state.applicationId, interactionToken: rec.token,
    type: rec.type === 2 ? 20 : 0,
    interactionMetadata: { id: rec.id, type: rec.type, user: state.apiUser(state.users.get(rec.userId)!), authorizing_integration_owners: rec.guildId ? { 0: rec.guildId } : {} } as SimMessage['interaction_metadata'],
  };
  switch (body.type) {
    case Callback.Message: {
      if (isEmptyMessage(data, files)) throw DiscordErrors.emptyMessage();
      const message = createMessage(state, { ...common, payload: data, files });
      rec.originalMessageId = message.id;
      return message;
    }
    case Callback.DeferredMessage: {
      const flags = (data.flags ?? 0) & MessageFlag.Ephemeral;
      const message = createMessage(state, { ...common, payload: { flags }, files: [], extraFlags: MessageFlag.Loading });
      rec.originalMessageId = message.id;
      return message;
    }
    case Callback.DeferredUpdate:
    case Callback.UpdateMessage: {
      const source = rec.sourceMessageId ? state.messages.get(rec.sourceMessageId) : undefined;
      if (!source) throw DiscordErrors.unknownMessage();
      rec.originalMessageId = source.id;
      return body.type === Callback.UpdateMessage ? editMessage(state, source, data, files) : source;
    }
    case Callback.Modal: {
      const modal = body.data as { custom_id: string; components: unknown[] };
      state.shownModals.set(modal.custom_id, { components: modal.components });
      return undefined;
    }
    default:
      return undefined;
  }
}

export function registerInteractionRoutes(router: Router, state: SimState): void {
  router.add({
    method: 'POST',
    template: '/interactions/{interaction_id}/{interaction_token}/callback',
    auth: 'none',
    limits: checkLimits,
    handler: (ctx) => {
      const rec = state.interactions.get(ctx.params.interaction_id!);
      if (!rec || rec.token !== ctx.params.interaction_token) throw DiscordErrors.unknownInteraction();
      if (rec.ackType !== undefined) throw DiscordErrors.alreadyAcknowledged();
      if (state.clock.now() - rec.createdAt > ACK_DEADLINE_MS) throw DiscordErrors.unknownInteraction();
      const body = ctx.body as CallbackBody | undefined;
      if (!body) throw DiscordErrors.invalidFormBody({ type: { _errors: [{ code: 'BASE_TYPE_REQUIRED', message: 'This field is required' }] } });
      const allowed = allowedCallbacks[rec.type] ?? [];
      const modalWithoutMessage = rec.type === 5 && !rec.sourceMessageId && (body.type === 6 || body.type === 7);
      if (!allowed.includes(body.type) || modalWithoutMessage) {
        const tree = new ErrorTree();
        tree.add(['type'], 'INTERACTION_RESPONSE_TYPE_INVALID', `Callback type ${body.type} is not valid for interaction type ${rec.type}`);
        tree.throwIfAny();
      }
      const message = applyCallback(state, rec, body, ctx.files);
      rec.ackType = body.type;
      recordResponse(rec, { type: body.type, data: body.data, files: ctx.files.map((f) => ({ field: f.field, filename: f.filename, contentType: f.contentType, size: f.bytes.byteLength })), at: state.clock.now() });
      if (ctx.query.get('with_response') !== 'true') return { status: 204 };
      const { edits: _e, interactionToken: _t, deleted: _d, ...api } = message ?? ({} as SimMessage);
      return {
        status: 200,
        body: {
          interaction: {
            id: rec.id, type: rec.type,
            ...(message ? { response_message_id: message.id, response_message_loading: body.type === 5, response_message_ephemeral: Boolean((message.flags ?? 0) & MessageFlag.Ephemeral) } : {}),
          },
          ...(message && (body.type === 4 || body.type === 7) ? { resource: { type: body.type, message: api } } : {}),
        },
      };
    },
  });
}
