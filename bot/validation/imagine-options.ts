import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { comfySamplers, comfySchedulers } from '#shared/comfyui-lists.ts';
import { loraLimits, parseLoraList, type LoraRequest } from './lora-list.ts';
import { parseSize, sizeAllowed, type Size } from './size.ts';
import { codePointLength, findUnsafeCharacter } from './text-safety.ts';
import { truncate } from '#shared/render/limits.ts';

export const imagineLimits = {
  promptMax: 2000,
  negativeMax: 2000,
  steps: { min: 1, max: 150 },
  cfg: { min: 0, max: 30 },
  batch: { min: 1, max: 4 },
} as const;

const maxSeed = 2n ** 64n - 1n;

/** Option values as Discord delivers them (all optional: the modal path fills prompt/negative/loras). */
export interface RawImagineOptions {
  prompt?: string | null;
  negative?: string | null;
  model?: string | null;
  lora?: string | null;
  lora_strength?: number | null;
  /** The modal's `name:0.8, other:0.5` list; replaces `lora`/`lora_strength` when given. */
  loras?: string | null;
  size?: string | null;
  steps?: number | null;
  cfg?: number | null;
  sampler?: string | null;
  scheduler?: string | null;
  seed?: string | null;
  batch?: number | null;
  /** An uploaded workflow template's name (`#id` when a form carries it). */
  workflow?: string | null;
}

/** A checked request; model-dependent defaults (size, steps, cfg, sampler, scheduler) are still open. */
export interface ImagineRequest {
  prompt: string;
  negative: string;
  model: string | null;
  loras: LoraRequest[];
  size: Size | null;
  steps: number | null;
  cfg: number | null;
  sampler: string | null;
  scheduler: string | null;
  seed: string;
  batch: number;
  /** A workflow template by name or `#id`; null = plain text to image. */
  workflow: string | null;
}

export interface OptionProblem {
  option: string;
  /** What the option accepts, e.g. "a whole number from 1 to 150". */
  allowed: string;
  message: string;
}

export type ImagineParseResult = { ok: true; value: ImagineRequest } | { ok: false; problem: OptionProblem };

/** What each option accepts, in words: the text of every validation error. */
export const allowedValues = {
  prompt: `1 to ${imagineLimits.promptMax} characters of text`,
  negative: `at most ${imagineLimits.negativeMax} characters of text`,
  model: 'a checkpoint name from the list',
  lora: 'a LoRA name from the list',
  lora_strength: `a number from ${loraLimits.minStrength} to ${loraLimits.maxStrength}`,
  loras: `up to ${loraLimits.maxCount} LoRAs as \`name:0.8, other:0.5\` (strengths ${loraLimits.minStrength} to ${loraLimits.maxStrength})`,
  size: sizeAllowed,
  steps: `a whole number from ${imagineLimits.steps.min} to ${imagineLimits.steps.max}`,
  cfg: `a number from ${imagineLimits.cfg.min} to ${imagineLimits.cfg.max}`,
  sampler: `one of ComfyUI's samplers (e.g. euler, dpmpp_2m, dpmpp_2m_sde)`,
  scheduler: `one of ${comfySchedulers.join(', ')}`,
  seed: 'a whole number from 0 to 18446744073709551615',
  batch: `a whole number from ${imagineLimits.batch.min} to ${imagineLimits.batch.max}`,
  workflow: 'a workflow name from the list',
} as const satisfies Record<keyof RawImagineOptions, string>;

type OptionName = keyof typeof allowedValues;

const text = (max: number, min = 0) =>
  z.string().trim().refine((s) => {
    const n = codePointLength(s);
    return n >= min && n <= max;
  });
const optional = <T extends z.ZodType>(schema: T) => schema.nullish().transform((v) => v ?? null);
const blankToNull = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? null : v);

const schema = z.object({
  prompt: text(imagineLimits.promptMax, 1),
  negative: optional(text(imagineLimits.negativeMax)),
  model: optional(z.preprocess(blankToNull, text(500, 1).nullable())),
  lora: optional(z.preprocess(blankToNull, text(loraLimits.maxNameLength, 1).nullable())),
  lora_strength: optional(z.number().min(loraLimits.minStrength).max(loraLimits.maxStrength)),
  loras: optional(z.string()),
  size: optional(z.preprocess(blankToNull, z.string().nullable())),
  steps: optional(z.number().int().min(imagineLimits.steps.min).max(imagineLimits.steps.max)),
  cfg: optional(z.number().min(imagineLimits.cfg.min).max(imagineLimits.cfg.max)),
  sampler: optional(z.preprocess(blankToNull, z.enum(comfySamplers).nullable())),
  scheduler: optional(z.preprocess(blankToNull, z.enum(comfySchedulers).nullable())),
  seed: optional(z.preprocess(blankToNull, z.string().trim().regex(/^\d{1,20}$/).refine((s) => /^\d{1,20}$/.test(s) && BigInt(s) <= maxSeed).nullable())),
  batch: optional(z.number().int().min(imagineLimits.batch.min).max(imagineLimits.batch.max)),
  workflow: optional(z.preprocess(blankToNull, text(64, 1).nullable())),
});

export function optionProblem(option: OptionName, got?: unknown): OptionProblem {
  const allowed = allowedValues[option];
  const shown = got === undefined || got === null ? '' : ` (got ${truncate(JSON.stringify(got), 60)})`;
  return { option, allowed, message: `\`${option}\` must be ${allowed}${shown}.` };
}

/** A uniformly random 64-bit seed as a decimal string (never a JS number: it would lose precision). */
export function randomSeed(): string {
  return randomBytes(8).readBigUInt64BE().toString();
}

/** A control character or lone surrogate in any text option (checked before anything reaches Postgres, which refuses NUL). */
function unsafeText(raw: RawImagineOptions): OptionProblem | null {
  for (const option of Object.keys(allowedValues) as OptionName[]) {
    const value = raw[option];
    if (typeof value !== 'string') continue;
    const found = findUnsafeCharacter(value);
    if (found) {
      return {
        option, allowed: allowedValues[option],
        message: `\`${option}\` contains a ${found.kind} (${found.codePoint}) that cannot be used; remove it and try again.`,
      };
    }
  }
  return null;
}

/** Checks /imagine's options (pure apart from the injected seed source). The first bad option is reported. */
export function parseImagineOptions(raw: RawImagineOptions, newSeed: () => string = randomSeed): ImagineParseResult {
  const unsafe = unsafeText(raw);
  if (unsafe) return { ok: false, problem: unsafe };
  const parsed = schema.safeParse({ ...raw, prompt: raw.prompt ?? '' });
  if (!parsed.success) {
    const option = (parsed.error.issues[0]?.path[0] ?? 'prompt') as OptionName;
    return { ok: false, problem: optionProblem(option, option === 'prompt' || option === 'negative' ? undefined : raw[option]) };
  }
  const v = parsed.data;
  let size: Size | null = null;
  if (v.size !== null) {
    size = parseSize(v.size);
    if (!size) return { ok: false, problem: optionProblem('size', v.size) };
  }
  let loras: LoraRequest[] = [];
  if (v.loras !== null && v.loras.trim() !== '') {
    const list = parseLoraList(v.loras);
    if (!list.ok) return { ok: false, problem: { option: 'loras', allowed: allowedValues.loras, message: `\`loras\` must be ${list.message}.` } };
    loras = list.value;
  } else if (v.lora !== null) {
    loras = [{ name: v.lora, strength: v.lora_strength }];
  } else if (v.lora_strength !== null) {
    return { ok: false, problem: { option: 'lora_strength', allowed: allowedValues.lora_strength, message: '`lora_strength` needs a `lora` to apply to.' } };
  }
  return {
    ok: true,
    value: {
      prompt: v.prompt,
      negative: v.negative ?? '',
      model: v.model,
      loras,
      size,
      steps: v.steps,
      cfg: v.cfg,
      sampler: v.sampler,
      scheduler: v.scheduler,
      seed: v.seed ?? newSeed(),
      batch: v.batch ?? 1,
      workflow: v.workflow,
    },
  };
}
