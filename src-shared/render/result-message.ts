import type { GenerationRow } from '#shared/db/repositories/generation-repository.ts';
import { embedLimits, messageLimits, truncate } from './limits.ts';

export interface RenderedFile {
  name: string;
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

function loraLine(g: GenerationRow): string {
  return g.loras.length ? g.loras.map((l) => `${l.name} (${l.strengthModel})`).join(', ') : 'none';
}

function seconds(g: GenerationRow): string {
  if (!g.startedAt || !g.finishedAt) return '–';
  return `${((g.finishedAt.getTime() - g.startedAt.getTime()) / 1000).toFixed(1)} s`;
}

/**
 * Links to each shown image's original, as masked links in `<>` so Discord does not preview them
 * (the images are attached already). Needed when an attachment is a WebP preview or there are several
 * (the embeds' own link opens the first image only).
 */
function fullSizeLinks(files: RenderedFile[]): string {
  if (files.length === 1) return files[0]!.format === 'webp' ? `[Full-size PNG](<${files[0]!.url}>)` : '';
  return `Full size: ${files.map((f) => `[${f.outputIndex + 1}](<${f.url}>)`).join(' · ')}`;
}

/**
 * The delivered result: prompt, model, LoRAs, seed, size, time, and the image(s) attached. Every
 * embed carries the first image's link: Discord shows embeds that share a URL as one gallery.
 */
export function renderResult(g: GenerationRow, files: RenderedFile[]): RenderedMessage {
  const embeds = files.slice(0, 4).map((f, i) => ({
    ...(i === 0
      ? {
          title: truncate(`🎨 ${g.prompt}`, embedLimits.title),
          color: colors.success,
          fields: [
            { name: 'Model', value: truncate(g.checkpoint, embedLimits.fieldValue), inline: true },
            { name: 'Seed', value: g.seed, inline: true },
            { name: 'Size', value: `${g.width}×${g.height}`, inline: true },
            { name: 'LoRAs', value: truncate(loraLine(g), embedLimits.fieldValue), inline: false },
            { name: 'Time', value: seconds(g), inline: true },
          ],
          footer: { text: truncate(`Generation ${g.id}`, embedLimits.footer) },
        }
      : {}),
    url: files[0]!.url,
    image: { url: `attachment://${f.name}` },
  }));
  return {
    content: files.length ? truncate(fullSizeLinks(files), messageLimits.content) : '',
    embeds,
    components: [],
    attachments: files.map((f, i) => ({ id: String(i), filename: f.name })),
  };
}

export function renderFailure(g: GenerationRow): RenderedMessage {
  return {
    content: '',
    embeds: [
      {
        title: '❌ Generation failed',
        description: truncate(`${g.errorMessage ?? 'Something went wrong.'}\n\nPrompt: ${g.prompt}`, embedLimits.description),
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
