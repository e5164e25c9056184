import { comfySamplers, comfySchedulers } from '#shared/comfyui-lists.ts';
import { AppError, ErrorCode } from '#shared/errors.ts';
import type { RawImagineOptions } from '../validation/imagine-options.ts';
import { truncate } from '#shared/render/limits.ts';

/** The slash options a modal carries to its submit (everything but prompt, negative and LoRAs). */
export interface ImagineCarry {
  modelId?: number;
  size?: { width: number; height: number };
  steps?: number;
  cfg?: number;
  sampler?: string;
  scheduler?: string;
  seed?: string;
  batch?: number;
  /** Image to image strength, for a picture attached in the form. */
  strength?: number;
  /** An uploaded workflow template's id. */
  workflowId?: number;
}

/** The carried options: raw /imagine options plus the strength, which is checked apart from them. */
export type CarriedOptions = RawImagineOptions & { strength?: number };

/**
 * Compact, underscore-separated tokens: `m12_s1024x768_t30_c7.5_a3_h1_d123_b2_r0.6` (≤ ~76 chars with a
 * 20-digit seed). Samplers and schedulers travel as indexes into ComfyUI's lists; cfg as 2 decimals.
 */
export function encodeCarry(c: ImagineCarry): string {
  const tokens: string[] = [];
  if (c.modelId !== undefined) tokens.push(`m${c.modelId}`);
  if (c.size) tokens.push(`s${c.size.width}x${c.size.height}`);
  if (c.steps !== undefined) tokens.push(`t${c.steps}`);
  if (c.cfg !== undefined) tokens.push(`c${Math.round(c.cfg * 100) / 100}`);
  if (c.sampler !== undefined) tokens.push(`a${(comfySamplers as readonly string[]).indexOf(c.sampler)}`);
  if (c.scheduler !== undefined) tokens.push(`h${(comfySchedulers as readonly string[]).indexOf(c.scheduler)}`);
  if (c.seed !== undefined) tokens.push(`d${c.seed}`);
  if (c.batch !== undefined) tokens.push(`b${c.batch}`);
  if (c.strength !== undefined) tokens.push(`r${Math.round(c.strength * 100) / 100}`);
  if (c.workflowId !== undefined) tokens.push(`w${c.workflowId}`);
  return tokens.join('_');
}

function tampered(id: string): AppError {
  return new AppError(ErrorCode.CustomIdTampered, 'This form is not one of ours or is out of date; run /imagine again.', {
    status: 400, expose: true, details: { carry: truncate(id, 100) },
  });
}

const tokenShape = /^([mstcahdbrw])(\d+(?:\.\d+)?|\d+x\d+)$/;

/** The carried options as raw /imagine options (model as `#id`), so they go through the same validation. Pure. */
export function decodeCarry(id: string): CarriedOptions {
  const raw: CarriedOptions = {};
  if (id === '') return raw;
  for (const token of id.split('_')) {
    const match = tokenShape.exec(token);
    if (!match) throw tampered(id);
    const [, key, value] = match as unknown as [string, string, string];
    const int = () => {
      if (!/^\d+$/.test(value)) throw tampered(id);
      return Number(value);
    };
    switch (key) {
      case 'm': raw.model = `#${int()}`; break;
      case 's': raw.size = value; break;
      case 't': raw.steps = int(); break;
      case 'c': raw.cfg = Number(value); break;
      case 'a': raw.sampler = comfySamplers[int()] ?? `#${value}`; break;
      case 'h': raw.scheduler = comfySchedulers[int()] ?? `#${value}`; break;
      case 'd': raw.seed = value; break;
      case 'b': raw.batch = int(); break;
      case 'r': raw.strength = Number(value); break;
      case 'w': raw.workflow = `#${int()}`; break;
    }
  }
  return raw;
}
