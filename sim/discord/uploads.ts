import type { APIAttachment } from 'discord-api-types/v10';
import type { SimState } from './state.ts';
import type { SimGuild } from './types.ts';

/** A file part of a multipart request (`files[n]`). */
export interface IncomingFile {
  field: string;
  index: number;
  filename: string;
  contentType: string;
  bytes: Uint8Array;
}

export function cdnUrl(state: SimState, channelId: string, attachmentId: string, filename: string): string {
  return `${state.baseUrl}/cdn/attachments/${channelId}/${attachmentId}/${encodeURIComponent(filename)}`;
}

function imageSize(bytes: Uint8Array): { width: number; height: number } | undefined {
  const isPng = bytes.length >= 24 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47;
  if (!isPng) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/** Stores the bytes so `/cdn` can serve them and returns the attachment object Discord would hand out. */
export function storeAttachment(
  state: SimState,
  channelId: string,
  file: { filename: string; contentType: string; bytes: Uint8Array },
  meta: { description?: string | null; title?: string | null } = {},
): APIAttachment {
  const id = state.ids.next();
  state.files.set(id, { id, channelId, filename: file.filename, contentType: file.contentType, bytes: file.bytes });
  const url = cdnUrl(state, channelId, id, file.filename);
  const attachment: APIAttachment = {
    id,
    filename: file.filename,
    size: file.bytes.byteLength,
    url,
    proxy_url: url,
    content_type: file.contentType,
    ...(imageSize(file.bytes) ?? {}),
  };
  if (meta.description) attachment.description = meta.description;
  if (meta.title) attachment.title = meta.title;
  return attachment;
}

/**
 * The guild a request uploads into (by its channel, its interaction or its interaction token), for
 * that guild's upload cap; undefined for routes that reach no guild.
 */
export function uploadGuild(state: SimState, params: Record<string, string>): SimGuild | undefined {
  const channelId = params.channel_id;
  const guildId = channelId
    ? state.channels.get(channelId)?.guildId
    : params.interaction_id
      ? state.interactions.get(params.interaction_id)?.guildId
      : params.webhook_token
        ? state.interactionByToken(params.webhook_token)?.guildId
        : undefined;
  return guildId ? state.guilds.get(guildId) : undefined;
}
