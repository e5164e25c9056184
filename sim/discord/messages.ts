import type { APIAttachment, APIEmbed, APIMessage, APIMessageComponent, APIUser } from 'discord-api-types/v10';
import { ErrorTree } from './errors.ts';
import type { SimState } from './state.ts';
import type { SimMessage } from './types.ts';
import { storeAttachment, type IncomingFile } from './uploads.ts';

/** The message fields a create/edit body may carry (webhook, channel or interaction callback). */
export interface MessagePayload {
  content?: string | null;
  embeds?: APIEmbed[] | null;
  components?: APIMessageComponent[] | null;
  attachments?: Array<{ id: string | number; description?: string | null; title?: string | null; filename?: string }> | null;
  flags?: number | null;
  tts?: boolean;
}

export const MessageFlag = { Ephemeral: 64, Loading: 128, IsComponentsV2: 1 << 15 } as const;

export interface CreateMessageOptions {
  channelId: string;
  guildId?: string | null;
  author: APIUser;
  payload: MessagePayload;
  files: IncomingFile[];
  type?: number;
  webhookId?: string;
  interactionToken?: string;
  interactionMetadata?: APIMessage['interaction_metadata'];
  extraFlags?: number;
}

/**
 * Discord's attachment rules: new files arrive as `files[n]` and are described by `attachments[{id: "n"}]`; on edit,
 * `attachments` lists the existing ids to keep (omitted = keep all).
 */
function mergeAttachments(state: SimState, channelId: string, existing: APIAttachment[], payload: MessagePayload, files: IncomingFile[]): APIAttachment[] {
  const described = new Map((payload.attachments ?? []).map((a) => [String(a.id), a]));
  const errors = new ErrorTree();
  let kept = existing;
  if (payload.attachments) {
    kept = existing.filter((a) => described.has(a.id));
    for (const [i, a] of payload.attachments.entries()) {
      const id = String(a.id);
      const known = existing.some((e) => e.id === id) || files.some((f) => String(f.index) === id);
      if (!known) errors.add(['attachments', i], 'ATTACHMENT_NOT_FOUND', `Attachment ${id} not found in files or existing attachments.`);
    }
  }
  errors.throwIfAny();
  const added = files.map((f) => {
    const meta = described.get(String(f.index));
    return storeAttachment(state, channelId, { filename: meta?.filename ?? f.filename, contentType: f.contentType, bytes: f.bytes }, meta ?? {});
  });
  return [...kept, ...added];
}

function resolveEmbedUrls(embeds: APIEmbed[], attachments: APIAttachment[]): APIEmbed[] {
  const resolve = <T extends { url?: string; proxy_url?: string }>(media: T | undefined): T | undefined => {
    if (!media?.url?.startsWith('attachment://')) return media;
    const found = attachments.find((a) => a.filename === media.url!.slice('attachment://'.length));
    return found ? { ...media, url: found.url, proxy_url: found.proxy_url, width: found.width, height: found.height } : media;
  };
  return embeds.map((e) => ({ type: 'rich', ...e, image: resolve(e.image), thumbnail: resolve(e.thumbnail) }) as APIEmbed);
}

export function createMessage(state: SimState, opts: CreateMessageOptions): SimMessage {
  const { payload } = opts;
  const attachments = mergeAttachments(state, opts.channelId, [], payload, opts.files);
  const now = state.clock.iso();
  const message: SimMessage = {
    id: state.ids.next(),
    channel_id: opts.channelId,
    author: opts.author,
    content: payload.content ?? '',
    timestamp: now,
    edited_timestamp: null,
    tts: payload.tts ?? false,
    mention_everyone: false,
    mentions: [],
    mention_roles: [],
    attachments,
    embeds: resolveEmbedUrls(payload.embeds ?? [], attachments),
    components: (payload.components ?? []) as SimMessage['components'],
    pinned: false,
    type: opts.type ?? 0,
    flags: (payload.flags ?? 0) | (opts.extraFlags ?? 0),
    edits: [],
  };
  if (opts.guildId) Object.assign(message, { guild_id: opts.guildId });
  if (opts.webhookId) Object.assign(message, { webhook_id: opts.webhookId, application_id: state.applicationId });
  if (opts.interactionMetadata) message.interaction_metadata = opts.interactionMetadata;
  if (opts.interactionToken) message.interactionToken = opts.interactionToken;
  state.putMessage(message);
  return message;
}

export function editMessage(state: SimState, message: SimMessage, payload: MessagePayload, files: IncomingFile[]): SimMessage {
  const attachments = mergeAttachments(state, message.channel_id, message.attachments, payload, files);
  message.edits.push({
    at: message.edited_timestamp ?? message.timestamp,
    content: message.content,
    embeds: message.embeds,
    components: (message.components ?? []) as APIMessageComponent[],
    attachments: message.attachments,
    flags: message.flags ?? 0,
  });
  if (payload.content !== undefined) message.content = payload.content ?? '';
  if (payload.components !== undefined) message.components = (payload.components ?? []) as SimMessage['components'];
  if (payload.flags !== undefined && payload.flags !== null) {
    // Only SUPPRESS_EMBEDS and IS_COMPONENTS_V2 can be changed on edit; EPHEMERAL sticks from creation.
    message.flags = ((message.flags ?? 0) & MessageFlag.Ephemeral) | (payload.flags & ~MessageFlag.Ephemeral);
  }
  message.flags = (message.flags ?? 0) & ~MessageFlag.Loading;
  message.attachments = attachments;
  message.embeds = resolveEmbedUrls(payload.embeds !== undefined ? (payload.embeds ?? []) : message.embeds, attachments);
  message.edited_timestamp = state.clock.iso();
  return message;
}

/** The wire form: the sim's bookkeeping fields stripped. */
export function toApiMessage(message: SimMessage): APIMessage {
  const { edits: _edits, interactionToken: _token, deleted: _deleted, ...api } = message;
  return api;
}

export function isEmptyMessage(payload: MessagePayload, files: IncomingFile[]): boolean {
  return !payload.content && !(payload.embeds?.length) && !(payload.components?.length) && files.length === 0 && !(payload.attachments?.length);
}
