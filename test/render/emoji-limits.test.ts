import { describe, expect, test } from 'vitest';
import { errorEmbed } from '#bot/embeds/error-embed.ts';
import { cancelRequestedMessage, queuedMessage } from '#shared/render/queued-message.ts';
import type { GenerationRow } from '#shared/db/repositories/generation-repository.ts';
import { renderProgress } from '#shared/render/progress-message.ts';
import { renderCancelled, renderFailure, renderResult } from '#shared/render/result-message.ts';
import { checkMessageLimits } from '#sim/discord/validation/limits.ts';
import { generationInput } from '../support/generation-fixture.ts';

// ~5000 code units of emoji that naive slicing breaks: ZWJ families, flags, skin tones, combining marks.
const emoji = '👨‍👩‍👧‍👦🇳🇴👍🏽e\u0301🏳️‍🌈😀';
const emojiText = emoji.repeat(Math.floor(5000 / emoji.length));

function row(long: string): GenerationRow {
  return {
    ...generationInput({ prompt: long, negativePrompt: long, checkpoint: long, loras: [{ name: long, strengthModel: 0.8, strengthClip: 0.8 }] }),
    messageId: null, status: 'failed', progress: 0.42, comfyInstanceId: null, comfyPromptId: null, generateJobId: null,
    errorCode: 'comfy_execution', errorMessage: long, attempts: 1, outputs: [], chargedAt: null,
    createdAt: new Date(), startedAt: new Date(Date.now() - 3000), finishedAt: new Date(), deliveredAt: null, deletedAt: null, updatedAt: new Date(),
  };
}

/** Every string anywhere in a message body, with its path. */
function strings(value: unknown, path = ''): [string, string][] {
  if (typeof value === 'string') return [[path, value]];
  if (Array.isArray(value)) return value.flatMap((v, i) => strings(v, `${path}[${i}]`));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => strings(v, `${path}.${k}`));
  return [];
}

const shownFile = { name: 'a.png', outputIndex: 0, format: 'png' as const, url: 'http://127.0.0.1:8787/images/x/0?expires=1&sig=x' };

const renderers: [string, (g: GenerationRow, long: string) => unknown][] = [
  ['queued', (g) => queuedMessage(g, { ahead: 2, capped: false, etaSeconds: 95 })],
  ['cancel requested', (g) => cancelRequestedMessage(g)],
  ['progress', (g) => renderProgress(g)],
  ['result', (g) => renderResult(g, shownFile, [shownFile, { outputIndex: 1, url: 'http://127.0.0.1:8787/images/x/1?expires=1&sig=x' }])],
  ['failure', (g) => renderFailure(g)],
  ['cancelled', (g) => renderCancelled(g)],
  ['error', (_g, long) => ({ embeds: [errorEmbed(long, long)] })],
];

describe('messages built from a 5000-character emoji prompt', () => {
  test.each(renderers)('%s: every string is well-formed and sim/discord finds no limit broken', (_name, render) => {
    expect(emojiText.length).toBeGreaterThan(4950);
    // Shifting the text by 0…emoji.length - 1 puts every kind of boundary (mid-pair, mid-ZWJ-sequence) at each cut.
    for (let shift = 0; shift < emoji.length; shift++) {
      const long = 'x'.repeat(shift) + emojiText;
      const body = render(row(long), long);
      for (const [path, text] of strings(body)) expect(text.isWellFormed(), `shift ${shift}: ${path}`).toBe(true);
      expect(checkMessageLimits(body, 1).toJSON()).toEqual({});
    }
  });

  test('the prompt is cut, not dropped: the title and description start with it', () => {
    const long = emojiText;
    const g = row(long);
    const queued = queuedMessage(g, { ahead: 0, capped: false }).embeds[0]!;
    expect(long.startsWith(queued.description!.slice(0, -1))).toBe(true);
    expect(queued.description!.length).toBeGreaterThan(1990);
    const result = renderResult(g, shownFile, [shownFile, { outputIndex: 1, url: 'http://127.0.0.1:8787/images/x/1?expires=1&sig=x' }]).embeds[0]!;
    expect(`🎨 ${long}`.startsWith((result.title as string).slice(0, -1))).toBe(true);
  });
});
