import type { GenerationRow } from '#shared/db/repositories/generation-repository.ts';
import { CustomIdAction, encodeCustomId, pageId } from '#shared/discord/custom-id.ts';
import { failureText } from './failure-text.ts';
import { embedLimits, messageLimits, truncate } from './limits.ts';

export interface RenderedFile {
  /** The attachment's file name; null when no version of the image fits Discord's upload cap. */
  name: string | null;
  /** index into the generation's outputs */
  outputIndex: number;
  format: 'png' | 'webp';
  /** A signed link to this output's full-size original. */
  url: string;
}

export interface RenderedMessage {
  content: string;
  embeds: Record<string, unknown>[];
  components: unknown[];
  attachments: { id: string; filename: string }[];
}

const colors = { success: 0x57f287, failure: 0xed4245, cancelled: 0x99aab5, progress: 0x5865f2 };

function strength(l: GenerationRow['loras'][number]): string {
  return l.strengthClip === l.strengthModel ? `${l.strengthModel}` : `${l.strengthModel} / clip ${l.strengthClip}`;
}

function loraLine(g: GenerationRow): string {
  return g.loras.length ? g.loras.map((l) => `${l.name} (${strength(l)})`).join(', ') : 'none';
}

/** What an embed field may hold: never empty, cut with "…" at Discord's limit. */
const fieldText = (text: string) => truncate(text.trim() || '–', embedLimits.fieldValue);

/** The prompt in full as far as a description allows (the title shows only its start). */
const promptDescriptionMax = 1500;

function seconds(g: GenerationRow): string {
  if (!g.startedAt || !g.finishedAt) return '–';
  return `${((g.finishedAt.getTime() - g.startedAt.getTime()) / 1000).toFixed(1)} s`;
}

/** A signed link to one stored output's full-size original. */
export interface OutputLink {
  outputIndex: number;
  url: string;
}

const button = (emoji: string, label: string, customId: string, opts: { style?: number; disabled?: boolean } = {}) => ({
  type: 2, style: opts.style ?? 2, emoji: { name: emoji }, label, custom_id: customId, ...(opts.disabled ? { disabled: true } : {}),
});

/**
 * The result's buttons (custom ids carry only the generation, state comes from the database):
 * ◀ ▶ through a batch (disabled at its ends, so no two buttons share a custom id), 🔁 same seed,
 * 🎲 new seed, ⬆ upscale and 🔀 vary the shown image, ⭐ keep from retention (toggles), 🗑 delete.
 */
export function resultButtons(g: Pick<GenerationRow, 'id'>, shown: number, indexes: readonly number[]): unknown[] {
  const at = indexes.indexOf(shown);
  const paging = indexes.length > 1
    ? [
        button('◀', 'Previous', encodeCustomId(CustomIdAction.Page, pageId(g.id, at > 0 ? indexes[at - 1]! : shown)), { disabled: at <= 0 }),
        button('▶', 'Next', encodeCustomId(CustomIdAction.Page, pageId(g.id, at < indexes.length - 1 ? indexes[at + 1]! : shown)), { disabled: at >= indexes.length - 1 }),
      ]
    : [];
  const buttons = [
    ...paging,
    button('🔁', 'Same seed', encodeCustomId(CustomIdAction.SameSeed, g.id)),
    button('🎲', 'New seed', encodeCustomId(CustomIdAction.NewSeed, g.id)),
    // Of the image shown (its index in the id, as ◀ ▶ do).
    ...(shown >= 0
      ? [
          button('⬆', 'Upscale', encodeCustomId(CustomIdAction.Upscale, pageId(g.id, shown))),
          button('🔀', 'Vary', encodeCustomId(CustomIdAction.Vary, pageId(g.id, shown))),
        ]
      : []),
    button('⭐', 'Keep', encodeCustomId(CustomIdAction.Keep, g.id)),
    button('🗑', 'Delete', encodeCustomId(CustomIdAction.Delete, g.id), { style: 4 }),
  ];
  // Discord allows five buttons in a row (at most 8 here: two rows).
  return [{ type: 1, components: buttons.slice(0, 5) }, ...(buttons.length > 5 ? [{ type: 1, components: buttons.slice(5) }] : [])];
}

/**
 * Where the shown image sits in the batch ("2 / 4") and links to every original, as masked links in
 * `<>` so Discord does not preview them. A lone PNG needs no link (the embed opens it).
 */
function contentLine(shown: RenderedFile, links: OutputLink[]): string {
  const note = shown.name === null ? ' (too large to attach here)' : '';
  if (links.length <= 1) return shown.format === 'webp' || shown.name === null ? `[Full-size PNG](<${shown.url}>)${note}` : '';
  const position = links.findIndex((l) => l.outputIndex === shown.outputIndex) + 1;
  let line = `**${position} / ${links.length}**${note} · Full size:`;
  // Whole links only: a link cut short by the length limit would open nothing.
  for (const [i, l] of links.entries()) {
    const part = `${i ? ' ·' : ''} [${l.outputIndex + 1}](<${l.url}>)`;
    if (line.length + part.length + ' …'.length > messageLimits.content) return `${line} …`;
    line += part;
  }
  return line;
}

/**
 * The delivered result: one image large (the batch's `shown` one, attached), prompt, negative,
 * model, LoRAs with strengths, seed, size, steps, cfg, sampler, time taken, and the result buttons.
 * `links` lists every stored output of the generation. Any input stays within Discord's embed
 * limits (each field ≤ 1024, title ≤ 256, description ≤ 1500: at most ~5 400 of the 6 000 in all).
 */
export function renderResult(g: GenerationRow, shown: RenderedFile | undefined, links: OutputLink[]): RenderedMessage {
  const title = truncate(`🎨 ${g.prompt}`, embedLimits.title);
  const fields = [
    { name: 'Model', value: fieldText(g.checkpoint), inline: true },
    { name: 'Seed', value: g.seed, inline: true },
    { name: 'Size', value: `${g.width}×${g.height}`, inline: true },
    { name: 'Steps', value: String(g.steps), inline: true },
    { name: 'CFG', value: String(g.cfg), inline: true },
    { name: 'Sampler', value: fieldText(`${g.sampler} · ${g.scheduler}`), inline: true },
    ...(g.initImageKey ? [{ name: 'From', value: g.workflowTemplate === 'upscale' ? 'an upscale of a picture' : `a picture, strength ${g.denoise}`, inline: true }] : []),
    { name: 'LoRAs', value: fieldText(loraLine(g)), inline: false },
    ...(g.negativePrompt.trim() ? [{ name: 'Negative', value: fieldText(g.negativePrompt), inline: false }] : []),
    { name: 'Time', value: seconds(g), inline: true },
  ];
  const embed = {
    title,
    ...(title === `🎨 ${g.prompt}` ? {} : { description: truncate(g.prompt, promptDescriptionMax) }),
    color: colors.success,
    fields,
    footer: { text: truncate(`Generation ${g.id}`, embedLimits.footer) },
    ...(shown ? { url: shown.url } : {}),
    ...(shown?.name ? { image: { url: `attachment://${shown.name}` } } : {}),
  };
  return {
    content: shown ? truncate(contentLine(shown, links), messageLimits.content) : '',
    embeds: [embed],
    components: resultButtons(g, shown?.outputIndex ?? -1, links.map((l) => l.outputIndex)),
    attachments: shown?.name ? [{ id: '0', filename: shown.name }] : [],
  };
}

export function renderFailure(g: GenerationRow): RenderedMessage {
  return {
    content: '',
    embeds: [
      {
        title: '❌ Generation failed',
        description: truncate(`${failureText(g)}\n\nPrompt: ${g.prompt}`, embedLimits.description),
        color: colors.failure,
        footer: { text: `Generation ${g.id}` },
      },
    ],
    components: [],
    attachments: [],
  };
}

export function renderCancelled(g: GenerationRow): RenderedMessage {
  return {
    content: '',
    embeds: [
      {
        title: '🚫 Cancelled',
        description: truncate(`Prompt: ${g.prompt}`, embedLimits.description),
        color: colors.cancelled,
        footer: { text: `Generation ${g.id}` },
      },
    ],
    components: [],
    attachments: [],
  };
}
