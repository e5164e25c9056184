import { readFileSync } from 'node:fs';
import { parseJsonLossless } from '#shared/comfyui/json.ts';
import type { ObjectInfo } from '#shared/comfyui/object-info.ts';
import type { Txt2ImgParams } from '#shared/comfyui/workflow/index.ts';

/** The BASELINE object_info transcribed from ComfyUI (checkpoint/LoRA combos as listed there). */
export function loadObjectInfo(file = '/work/shared/comfyui/object_info.json'): ObjectInfo {
  return parseJsonLossless(readFileSync(file, 'utf8')) as ObjectInfo;
}

export function txt2imgParams(overrides: Partial<Txt2ImgParams> = {}): Txt2ImgParams {
  return {
    checkpoint: 'sd_xl_base_1.0.safetensors',
    loras: [],
    prompt: 'a lighthouse at dusk',
    negativePrompt: 'blurry',
    width: 1024,
    height: 1024,
    batchSize: 1,
    seed: '42',
    steps: 20,
    cfg: 7,
    sampler: 'euler',
    scheduler: 'normal',
    denoise: 1,
    filenamePrefix: 'genonaut/job-1',
    ...overrides,
  };
}
