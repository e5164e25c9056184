import { describe, expect, test } from 'vitest';
import { parseImagineOptions, randomSeed, type RawImagineOptions } from '#bot/validation/imagine-options.ts';
import { parseLoraList } from '#bot/validation/lora-list.ts';
import { parseSize } from '#bot/validation/size.ts';
import { checkModels, toNewGeneration } from '#bot/validation/apply-models.ts';
import type { RegistryModel } from '#bot/validation/registry-model.ts';
import { emptyChoicesHint, type RegistryState } from '#bot/validation/registry-state.ts';

const fixedSeed = () => '7';

function problem(raw: RawImagineOptions) {
  const result = parseImagineOptions(raw, fixedSeed);
  if (result.ok) throw new Error('expected a problem');
  return result.problem;
}

describe('parseImagineOptions', () => {
  test('GIVEN only a prompt THEN defaults are left open and a random seed is drawn', () => {
    const result = parseImagineOptions({ prompt: '  a cat  ' }, fixedSeed);
    expect(result).toEqual({
      ok: true,
      value: { prompt: 'a cat', negative: '', model: null, loras: [], size: null, steps: null, cfg: null, sampler: null, scheduler: null, seed: '7', batch: 1, workflow: null },
    });
  });

  test.each<[RawImagineOptions, string, RegExp]>([
    [{ prompt: '' }, 'prompt', /1 to 2000 characters/],
    [{ prompt: 'x'.repeat(2001) }, 'prompt', /1 to 2000 characters/],
    [{ prompt: 'x', steps: 0 }, 'steps', /whole number from 1 to 150 \(got 0\)/],
    [{ prompt: 'x', steps: 151 }, 'steps', /from 1 to 150/],
    [{ prompt: 'x', steps: 2.5 }, 'steps', /whole number/],
    [{ prompt: 'x', cfg: 30.5 }, 'cfg', /number from 0 to 30/],
    [{ prompt: 'x', cfg: -1 }, 'cfg', /number from 0 to 30/],
    [{ prompt: 'x', batch: 5 }, 'batch', /from 1 to 4/],
    [{ prompt: 'x', size: '1024x1020' }, 'size', /multiple of 8 from 256 to 2048/],
    [{ prompt: 'x', size: '248x512' }, 'size', /from 256 to 2048/],
    [{ prompt: 'x', size: '2056x1024' }, 'size', /at most 4 megapixels/],
    [{ prompt: 'x', size: 'big' }, 'size', /WIDTHxHEIGHT/],
    [{ prompt: 'x', sampler: 'euler_b' }, 'sampler', /ComfyUI's samplers/],
    [{ prompt: 'x', scheduler: 'cosine' }, 'scheduler', /one of simple, sgm_uniform, karras/],
    [{ prompt: 'x', seed: '-1' }, 'seed', /0 to 18446744073709551615/],
    [{ prompt: 'x', seed: '18446744073709551616' }, 'seed', /0 to 18446744073709551615/],
    [{ prompt: 'x', seed: '1e5' }, 'seed', /whole number/],
    [{ prompt: 'x', lora_strength: 0.5 }, 'lora_strength', /needs a `lora`/],
    [{ prompt: 'x', lora: 'a', lora_strength: 3 }, 'lora_strength', /from -2 to 2/],
    [{ prompt: 'x', loras: 'a:0.5, b:7' }, 'loras', /strengths from -2 to 2 \(got 7 for b\)/],
    [{ prompt: 'x', loras: 'a, b, c, d, e' }, 'loras', /at most 4 LoRAs/],
  ])('GIVEN %j THEN the problem names %s and the allowed range', (raw, option, message) => {
    const p = problem(raw);
    expect(p.option).toBe(option);
    expect(p.message).toContain(`\`${option}\``);
    expect(p.message).toMatch(message);
  });

  test.each<[RawImagineOptions, string, string]>([
    [{ prompt: 'a cat\u0000' }, 'prompt', 'a control character (U+0000)'],
    [{ prompt: 'a cat', negative: 'dogs\u001b[31m' }, 'negative', 'a control character (U+001B)'],
    [{ prompt: 'a cat', model: 'base\u007f' }, 'model', 'a control character (U+007F)'],
    [{ prompt: 'a cat', loras: 'ink\u0085:0.5' }, 'loras', 'a control character (U+0085)'],
    [{ prompt: 'a cat', seed: '12\u00003' }, 'seed', 'a control character (U+0000)'],
    [{ prompt: 'half an emoji \uD83D' }, 'prompt', 'a broken character (U+D83D)'],
    [{ prompt: 'a cat', lora: '\uDE00ink' }, 'lora', 'a broken character (U+DE00)'],
  ])('GIVEN control or broken characters in %j THEN the message names %s and the character', (raw, option, what) => {
    const p = problem(raw);
    expect(p.option).toBe(option);
    expect(p.message).toBe(`\`${option}\` contains ${what} that cannot be used; remove it and try again.`);
  });

  test('tabs and newlines are ordinary text; whole emoji are fine', () => {
    expect(parseImagineOptions({ prompt: 'a cat\n\tin a hat 👨‍👩‍👧 🇳🇴' }, fixedSeed).ok).toBe(true);
  });

  test('prompt length is counted in code points, as Discord counts max_length: 2000 emoji fit, 2001 do not', () => {
    expect(parseImagineOptions({ prompt: '😀'.repeat(2000) }, fixedSeed).ok).toBe(true);
    expect(problem({ prompt: '😀'.repeat(2001) }).option).toBe('prompt');
  });

  test('accepted edge values', () => {
    const result = parseImagineOptions(
      { prompt: 'x', size: '2048x1024', steps: 150, cfg: 0, batch: 4, seed: '18446744073709551615', sampler: 'uni_pc_bh2', scheduler: 'kl_optimal', loras: 'a:0.5, b' },
      fixedSeed,
    );
    expect(result).toMatchObject({
      ok: true,
      value: { size: { width: 2048, height: 1024 }, steps: 150, cfg: 0, batch: 4, seed: '18446744073709551615', loras: [{ name: 'a', strength: 0.5 }, { name: 'b', strength: null }] },
    });
  });

  test('random seeds are decimal strings within 64 bits, and vary', () => {
    const seeds = new Set(Array.from({ length: 20 }, randomSeed));
    expect(seeds.size).toBeGreaterThan(1);
    for (const s of seeds) expect(BigInt(s) <= 2n ** 64n - 1n && /^\d+$/.test(s)).toBe(true);
  });
});

describe('parseSize / parseLoraList', () => {
  test('sizes accept x, × and spaces', () => {
    expect(parseSize('1024 × 768')).toEqual({ width: 1024, height: 768 });
    expect(parseSize('1024X768')).toEqual({ width: 1024, height: 768 });
    expect(parseSize('1024x')).toBeNull();
  });

  test('LoRA lists: strengths optional, duplicates refused', () => {
    expect(parseLoraList('a:0.8, other:-.5')).toEqual({ ok: true, value: [{ name: 'a', strength: 0.8 }, { name: 'other', strength: -0.5 }] });
    expect(parseLoraList('a, a:1')).toMatchObject({ ok: false });
    expect(parseLoraList('')).toEqual({ ok: true, value: [] });
  });
});

describe('checkModels / toNewGeneration', () => {
  const model = (over: Partial<RegistryModel>): RegistryModel => ({
    id: 1, kind: 'checkpoint', fileName: 'base.safetensors', displayName: 'base', nsfw: false, baseFamily: 'sd15',
    defaultStrengthModel: null, defaultStrengthClip: null, defaultWidth: null, defaultHeight: null, defaultSteps: null, defaultCfg: null,
    defaultSampler: null, defaultScheduler: null, usable: true, ...over,
  });
  const parsed = parseImagineOptions({ prompt: 'x', lora: 'l' }, fixedSeed);
  if (!parsed.ok) throw new Error('fixture must parse');
  const request = parsed.value;

  test('nsfw models are refused outside nsfw channels; disabled ones always', () => {
    const lora = model({ kind: 'lora', fileName: 'l.safetensors' });
    expect(checkModels(request, { checkpoint: model({ nsfw: true }), loras: [lora] }, false)).toMatchObject({ ok: false, problem: { option: 'model' } });
    expect(checkModels(request, { checkpoint: model({ nsfw: true }), loras: [lora] }, true)).toMatchObject({ ok: true });
    expect(checkModels(request, { checkpoint: model({ usable: false }), loras: [lora] }, true)).toMatchObject({ ok: false, problem: { option: 'model' } });
    expect(checkModels(request, { checkpoint: model({}), loras: [null] }, true)).toMatchObject({ ok: false, problem: { option: 'lora' } });
  });

  test('no default checkpoint: an empty registry is "being discovered", a full one "ask an operator"', () => {
    const noDefault = (registry: RegistryState) => {
      const result = checkModels({ ...request, loras: [] }, { checkpoint: null, loras: [], registry }, false);
      if (result.ok) throw new Error('expected a problem');
      return result.problem.message;
    };
    expect(noDefault({ known: 0, usableCheckpoints: 0, usableLoras: 0 })).toBe('Models are still being discovered. Try again in a few seconds.');
    expect(noDefault({ known: 3, usableCheckpoints: 0, usableLoras: 1 })).toBe('No checkpoint is enabled yet. Ask an operator to enable one.');
    expect(noDefault({ known: 3, usableCheckpoints: 1, usableLoras: 1 })).toMatch(/only enabled checkpoints are age-restricted/);
  });

  test('autocomplete hints only when the registry gives nothing of that kind', () => {
    expect(emptyChoicesHint('checkpoint', { known: 0, usableCheckpoints: 0, usableLoras: 0 })).toEqual([{ name: 'Models are still being discovered. Try again in a few seconds.', value: '' }]);
    expect(emptyChoicesHint('lora', { known: 0, usableCheckpoints: 0, usableLoras: 0 })).toHaveLength(1);
    expect(emptyChoicesHint('checkpoint', { known: 2, usableCheckpoints: 0, usableLoras: 2 })[0]?.name).toMatch(/No checkpoint is enabled/);
    expect(emptyChoicesHint('lora', { known: 2, usableCheckpoints: 2, usableLoras: 0 })[0]?.name).toMatch(/No LoRA is enabled/);
    expect(emptyChoicesHint('checkpoint', { known: 2, usableCheckpoints: 1, usableLoras: 0 })).toEqual([]);
  });

  test("the checkpoint's defaults fill what was not asked; token expiry is 15 minutes after the interaction", () => {
    const checked = checkModels(request, { checkpoint: model({ defaultSteps: 33 }), loras: [model({ kind: 'lora', fileName: 'l.safetensors', defaultStrengthModel: 0.7 })] }, false);
    if (!checked.ok) throw new Error('expected ok');
    const createdAt = new Date('2026-01-01T00:00:00Z');
    const g = toNewGeneration(request, checked.value, {
      userId: '1', guildId: '2', channelId: '3', applicationId: '4', interactionId: '5', interactionToken: 't', createdAt,
    }, '00000000-0000-4000-8000-000000000000');
    expect(g).toMatchObject({ width: 512, height: 512, steps: 33, cfg: 7, sampler: 'euler', scheduler: 'normal', seed: '7', loras: [{ name: 'l.safetensors', strengthModel: 0.7, strengthClip: 0.7 }] });
    expect(g.interactionTokenExpiresAt?.toISOString()).toBe('2026-01-01T00:15:00.000Z');
  });

  test('every per-model default applies when the member gives none; what the member gives wins; the family sets the default size', () => {
    const facts = { userId: '1', guildId: '2', channelId: '3', applicationId: '4', interactionId: '5', interactionToken: 't', createdAt: new Date() };
    const defaults = { defaultWidth: 832, defaultHeight: 1216, defaultSteps: 30, defaultCfg: 4.5, defaultSampler: 'dpmpp_2m', defaultScheduler: 'karras' };
    const bare = parseImagineOptions({ prompt: 'x' }, fixedSeed);
    const given = parseImagineOptions({ prompt: 'x', size: '512x768', steps: 12, cfg: 9, sampler: 'euler', scheduler: 'normal' }, fixedSeed);
    if (!bare.ok || !given.ok) throw new Error('fixtures must parse');
    const withDefaults = { checkpoint: model(defaults), loras: [] };
    expect(toNewGeneration(bare.value, withDefaults, facts)).toMatchObject({ width: 832, height: 1216, steps: 30, cfg: 4.5, sampler: 'dpmpp_2m', scheduler: 'karras', workflowVersionId: null });
    expect(toNewGeneration(given.value, withDefaults, facts)).toMatchObject({ width: 512, height: 768, steps: 12, cfg: 9, sampler: 'euler', scheduler: 'normal' });
    expect(toNewGeneration(bare.value, { checkpoint: model({ baseFamily: 'sdxl' }), loras: [] }, facts)).toMatchObject({ width: 1024, height: 1024 });
    expect(toNewGeneration(bare.value, { checkpoint: model({ baseFamily: 'sd15' }), loras: [] }, facts)).toMatchObject({ width: 512, height: 512 });
  });
});
