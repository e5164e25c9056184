import { describe, expect, test } from 'vitest';
import { errorEmbed } from '#bot/embeds/error-embed.ts';
import { historyMessage } from '#bot/embeds/history-embed.ts';
import { cancelRequestedMessage, queuedMessage } from '#shared/render/queued-message.ts';
import type { GenerationRow } from '#shared/db/repositories/generation-repository.ts';
import { renderProgress } from '#shared/render/progress-message.ts';
import { renderCancelled, renderFailure, renderResult } from '#shared/render/result-message.ts';
import { checkMessageLimits } from '#sim/discord/validation/limits.ts';
import { OpenApiValidator } from '#sim/discord/validation/openapi.ts';
import { generationInput } from '../support/generation-fixture.ts';

// Everything Discord's limits trip over at once: emoji sequences, zero-width characters (ZWSP, ZWJ,
// BOM, word joiner), right-to-left text and overrides, markdown and mentions.
const pieces = ['👨‍👩‍👧‍👦', '🇳🇴', '\u200b', '\u200d', '\ufeff', '\u2060', 'שלום עולם', 'مرحبا', '\u202e', '\u202c', '**bold**', '<@123>', '@everyone', 'e\u0301', ' '];
const hostile = (length: number) => {
  let text = '';
  for (let i = 0; text.length < length; i++) text += pieces[i % pieces.length];
  return text;
};
const prompt = hostile(10_000);
const loras = Array.from({ length: 20 }, (_, i) => ({ name: `${hostile(180)}_${i}.safetensors`, strengthModel: 0.55, strengthClip: 1.25 }));

function row(status: GenerationRow['status'], overrides: Partial<GenerationRow> = {}): GenerationRow {
  return {
    ...generationInput({ prompt, negativePrompt: hostile(10_000), checkpoint: hostile(255), loras, sampler: hostile(64), scheduler: hostile(64), seed: '18446744073709551615' }),
    messageId: null, status, progress: 0.42, comfyInstanceId: null, comfyPromptId: null, generateJobId: null, attachmentSizeLimit: null,
    errorCode: 'comfy_execution', errorMessage: hostile(10_000), attempts: 1, outputs: [], chargedAt: null,
    createdAt: new Date(), startedAt: new Date(Date.now() - 3000), finishedAt: new Date(), deliveredAt: null, deletedAt: null, updatedAt: new Date(),
    ...overrides,
  };
}

const link = (i: number) => `http://127.0.0.1:8787/images/0b0c2b52-4a7b-4b8e-9c1a-1234567890ab/${i}?expires=1893456000&sig=${'A'.repeat(43)}`;
const batch = Array.from({ length: 16 }, (_, i) => ({ outputIndex: i, url: link(i) }));

const messages: [string, () => unknown][] = [
  ['queued', () => queuedMessage(row('queued'), { ahead: 11, capped: false, etaSeconds: 12_345 })],
  ['cancel requested', () => cancelRequestedMessage(row('cancel_requested'))],
  ['progress', () => renderProgress(row('running'))],
  ['result, one image', () => renderResult(row('succeeded'), { name: 'a.png', outputIndex: 0, format: 'png', url: link(0) }, [batch[0]!])],
  ['result, batch of 16, shown as WebP', () => renderResult(row('succeeded'), { name: 'a.webp', outputIndex: 7, format: 'webp', url: link(7) }, batch)],
  ['result, too large to attach', () => renderResult(row('succeeded'), { name: null, outputIndex: 0, format: 'png', url: link(0) }, batch)],
  ['failure', () => renderFailure(row('failed'))],
  ['cancelled', () => renderCancelled(row('cancelled'))],
  ['history page', () => historyMessage({ entries: Array.from({ length: 5 }, () => ({ generation: row('succeeded'), thumbnailUrl: link(0) })), filters: hostile(200), newerId: 'gens:v1:n1', olderId: 'gens:v1:o1' })],
  ['error', () => ({ embeds: [errorEmbed(hostile(10_000), hostile(10_000))] })],
];

/** Every string anywhere in a message body, with its path. */
function strings(value: unknown, path = ''): [string, string][] {
  if (typeof value === 'string') return [[path, value]];
  if (Array.isArray(value)) return value.flatMap((v, i) => strings(v, `${path}[${i}]`));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => strings(v, `${path}.${k}`));
  return [];
}

const spec = new OpenApiValidator();

describe('a 10 000-character prompt with emoji, zero-width and right-to-left text, 20 LoRAs', () => {
  test.each(messages)('%s: within every limit Discord checks (the spec and NOTES §2.3), every string whole', (_name, render) => {
    const body = render();
    for (const [path, text] of strings(body)) expect(text.isWellFormed(), path).toBe(true);
    expect(checkMessageLimits(body, 1).toJSON()).toEqual({});
    expect(spec.validate('/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}', 'PATCH', body)?.toJSON() ?? {}).toEqual({});
    expect(spec.validate('/channels/{channel_id}/messages', 'POST', body)?.toJSON() ?? {}).toEqual({});
  });

  test('what was cut says so with "…", and the result still names all it can: prompt start, every field, the image', () => {
    const result = renderResult(row('succeeded'), { name: 'a.png', outputIndex: 0, format: 'png', url: link(0) }, [batch[0]!]);
    const embed = result.embeds[0] as { title: string; description: string; fields: { name: string; value: string }[]; image?: unknown };
    expect(embed.title.endsWith('…')).toBe(true);
    expect(prompt.startsWith(embed.description.slice(0, -1))).toBe(true);
    expect(embed.fields.map((f) => f.name)).toEqual(['Model', 'Seed', 'Size', 'Steps', 'CFG', 'Sampler', 'LoRAs', 'Negative', 'Time']);
    expect(embed.fields.find((f) => f.name === 'LoRAs')!.value.endsWith('…')).toBe(true);
    expect(embed.image).toEqual({ url: 'attachment://a.png' });
  });
});
