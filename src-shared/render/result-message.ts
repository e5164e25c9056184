import type { GenerationRow } from '#shared/db/repositories/generation-repository.ts';
import { embedLimits, messageLimits, truncate } from './limits.ts';

export interface RenderedFile {
  name: string;
  /** index into the generation's outputs */
  outputIndex: number;
  format: 'png' | 'webp';
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

/** The delivered result: prompt, model, LoRAs, seed, size, time, and the image(s) attached. */
export function renderResult(g: GenerationRow, files: RenderedFile[], fullSizeUrl?: string): RenderedMessage {
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
    url: fullSizeUrl ?? `https://genonaut.invalid/g/${g.id}`,
    image: { url: `attachment://${f.name}` },
  }));
  const note = files.some((f) => f.format === 'webp') && fullSizeUrl ? `Full-size PNG: ${fullSizeUrl}` : '';
  return {
    content: truncate(note, messageLimits.content),
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
