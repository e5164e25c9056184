import { describe, expect, test } from 'vitest';
import { modelsView, type OfferedModel } from '#bot/embeds/models-embed.ts';
import { queueView, type QueueItem } from '#bot/embeds/queue-embed.ts';
import type { GenerationRow } from '#shared/db/repositories/generation-repository.ts';
import type { LineRow } from '#shared/db/sql/line.ts';
import { formatEta, lineCap, linePlace, placeTitle, queuedKey } from '#shared/generation/line-place.ts';
import { checkMessageLimits } from '#sim/discord/validation/limits.ts';
import { generationInput } from '../support/generation-fixture.ts';

const line = (over: Partial<LineRow> = {}): LineRow => ({
  id: 'x', ahead: 2, aheadSteps: 40, busySteps: 10, instances: 2, secondsPerStep: 0.5, steps: 20, liveShown: null, ...over,
});

describe('place in line (pure)', () => {
  test('ETA: work ahead and running on the able instances shared among them, plus its own steps, at their speed', () => {
    expect(linePlace(line())).toEqual({ ahead: 2, capped: false, etaSeconds: ((40 + 10) / 2 + 20) * 0.5 });
    expect(linePlace(line({ secondsPerStep: null })).etaSeconds).toBeNull();
  });

  test('beyond the bound (or not in the front at all) it is "50+ ahead", without an ETA', () => {
    expect(linePlace(line({ ahead: lineCap }))).toEqual({ ahead: lineCap, capped: true, etaSeconds: null });
    expect(placeTitle(linePlace(undefined))).toBe('50+ ahead in line');
    expect(placeTitle(linePlace(line({ ahead: 0 })))).toBe('#1 in line');
  });

  test('ETAs are rounded, so small drifts give the same key and no edit', () => {
    expect([3.2, 12, 44, 61, 150, 3725].map(formatEta)).toEqual(['about 3 s', 'about 10 s', 'about 45 s', 'about 1 min', 'about 3 min', 'about 1 h 2 min']);
    expect(queuedKey(linePlace(line({ busySteps: 10.2 })))).toBe(queuedKey(linePlace(line())));
    expect(queuedKey(linePlace(line({ ahead: 1 })))).not.toBe(queuedKey(linePlace(line())));
  });
});

function generation(prompt: string, over: Partial<GenerationRow> = {}): GenerationRow {
  return {
    ...generationInput({ prompt, checkpoint: 'sdxl_base.safetensors' }), id: crypto.randomUUID(),
    messageId: null, status: 'queued', progress: 0, comfyInstanceId: null, comfyPromptId: null, generateJobId: null,
    errorCode: null, errorMessage: null, attempts: 0, outputs: [], chargedAt: null,
    createdAt: new Date(), startedAt: null, finishedAt: null, deliveredAt: null, deletedAt: null, updatedAt: new Date(), ...over,
  } as GenerationRow;
}

describe('/queue and /models views stay within Discord limits for any input', () => {
  test('30 requests with 10 000-character prompts full of mentions: inert, numbered, the first 10 with Cancel buttons', () => {
    const long = '@everyone <@1> **x** 👨‍👩‍👧‍👦'.repeat(500);
    const items: QueueItem[] = Array.from({ length: 30 }, (_, i) =>
      i === 0 ? { generation: generation(long, { status: 'running', progress: 0.4 }), state: 'running', etaSeconds: 12 }
        : { generation: generation(long), state: 'queued', place: linePlace(line({ ahead: i })) });
    const view = queueView(items);
    expect(checkMessageLimits(view, 0).toJSON()).toEqual({});
    expect(view.components.flatMap((r) => r.components)).toHaveLength(10);
    const text = JSON.stringify(view.embeds);
    expect(text).not.toContain('@everyone');
    expect(text).not.toContain('<@1>');
    expect(view.embeds[0]!.fields![0]!.name).toBe('1. ⏳ generating — 40% · done in about 10 s');
  });

  test('/models with hundreds of long names shows what fits and says how many more', () => {
    const models: OfferedModel[] = Array.from({ length: 100 }, (_, i) => ({
      kind: i % 2 ? 'lora' : 'checkpoint', fileName: `${'m_'.repeat(60)}${i}.safetensors`, displayName: `**Model** ${i} <@&5>`, nsfw: i % 3 === 0,
      baseFamily: 'sdxl', triggerWords: ['`tick`', 'soft *wash*'], ofKind: 300,
    }));
    const view = modelsView(models);
    expect(checkMessageLimits(view, 0).toJSON()).toEqual({});
    expect(view.embeds[0]!.title).toBe('Checkpoints (300)');
    expect(view.embeds[0]!.description).toMatch(/… and \d+ more/);
    expect(JSON.stringify(view)).not.toContain('<@&5>');
  });
});
