import { ButtonStyle, ComponentType, type APIActionRowComponent, type APIButtonComponent, type APIEmbed } from 'discord-api-types/v10';
import type { GenerationRow } from '#shared/db/repositories/generation-repository.ts';
import { embedLimits, truncate } from '#shared/render/limits.ts';
import { embedColors } from './colors.ts';
import { inert } from './inert-text.ts';

export interface HistoryEntry {
  generation: GenerationRow;
  /** Signed link to its first image's small thumbnail, if it has one. */
  thumbnailUrl: string | null;
}

export interface HistoryView {
  entries: HistoryEntry[];
  /** Filters in words, e.g. "succeeded · sdxl_base.safetensors" (empty: none). */
  filters: string;
  /** custom ids of ◀ and ▶, null where there is no page that way. */
  newerId: string | null;
  olderId: string | null;
}

const statusIcon: Record<string, string> = {
  queued: '🕒', running: '⏳', cancel_requested: '🚫', succeeded: '✅', failed: '❌', cancelled: '🚫',
};

function entryEmbed({ generation: g, thumbnailUrl }: HistoryEntry): APIEmbed {
  return {
    title: truncate(`${statusIcon[g.status] ?? ''} ${g.status} · ${g.checkpoint}`, embedLimits.title),
    description: truncate(inert(g.prompt), 300),
    color: g.status === 'succeeded' ? embedColors.done : g.status === 'failed' ? embedColors.error : embedColors.queued,
    ...(thumbnailUrl ? { thumbnail: { url: thumbnailUrl } } : {}),
    footer: { text: `Generation ${g.id} · /generation id:${g.id}` },
    timestamp: g.createdAt.toISOString(),
  };
}

function pageButton(emoji: string, label: string, customId: string | null, fallbackId: string): APIButtonComponent {
  return { type: ComponentType.Button, style: ButtonStyle.Secondary, emoji: { name: emoji }, label, custom_id: customId ?? fallbackId, disabled: customId === null };
}

/**
 * `/generations`: up to 5 entries (thumbnail, status, model, inert prompt, id), newest first, with
 * ◀ ▶ when there are pages that way. Pure; ephemeral, so only the member sees their history.
 */
export function historyMessage(view: HistoryView): { content: string; embeds: APIEmbed[]; components: APIActionRowComponent<APIButtonComponent>[] } {
  const heading = `Your generations${view.filters ? ` (${view.filters})` : ''}, newest first`;
  if (!view.entries.length) {
    return { content: `${heading}: none${view.filters ? ' match' : ' yet'}.`, embeds: [], components: [] };
  }
  const paging = view.newerId || view.olderId;
  // A disabled button still needs a custom id of its own; the enabled one's with the other direction letter is unique.
  const components: APIActionRowComponent<APIButtonComponent>[] = paging
    ? [{
        type: ComponentType.ActionRow,
        components: [
          pageButton('◀', 'Newer', view.newerId, view.olderId?.replace(/^gens:v1:o/, 'gens:v1:n') ?? ''),
          pageButton('▶', 'Older', view.olderId, view.newerId?.replace(/^gens:v1:n/, 'gens:v1:o') ?? ''),
        ],
      }]
    : [];
  return { content: heading, embeds: view.entries.map(entryEmbed), components };
}
