import { AppError, ErrorCode } from '../../errors.ts';
import { comboValues, type ObjectInfo } from '../object-info.ts';
import { link, type Link, type PromptGraph } from './graph.ts';
import { GraphBuilder } from './graph-builder.ts';
import { parseSeed } from './seed.ts';
import type { Txt2ImgParams } from './templates/txt2img.ts';

/** A picture-in, picture-out request: one image, so no batch size. */
export interface ImageToImageParams extends Omit<Txt2ImgParams, 'batchSize'> {
  /** The `LoadImage` name the instance answered `POST /upload/image` with. */
  image: string;
}

/** Builds the graph around a starting latent: model (LoRAs), prompts, sampler, decode and save. */
function sampleFrom(params: ImageToImageParams, startingLatent: (b: GraphBuilder, vae: Link) => Link): PromptGraph {
  if (!params.filenamePrefix) throw new AppError(ErrorCode.Validation, 'filenamePrefix is empty — give each job its own prefix');
  if (!params.image) throw new AppError(ErrorCode.Validation, 'image is empty — upload the starting picture first');
  const seed = parseSeed(params.seed);
  const b = new GraphBuilder();
  const checkpoint = b.add('CheckpointLoaderSimple', { ckpt_name: params.checkpoint }, 'Load Checkpoint');
  let model: Link = link(checkpoint, 0);
  let clip: Link = link(checkpoint, 1);
  const vae: Link = params.vae ? link(b.add('VAELoader', { vae_name: params.vae }), 0) : link(checkpoint, 2);
  for (const lora of params.loras) {
    if (lora.strengthClip === 0) {
      model = link(b.add('LoraLoaderModelOnly', { model, lora_name: lora.name, strength_model: lora.strengthModel }), 0);
    } else {
      const id = b.add('LoraLoader', { model, clip, lora_name: lora.name, strength_model: lora.strengthModel, strength_clip: lora.strengthClip });
      model = link(id, 0);
      clip = link(id, 1);
    }
  }
  const positive = b.add('CLIPTextEncode', { text: params.prompt, clip }, 'Positive Prompt');
  const negative = b.add('CLIPTextEncode', { text: params.negativePrompt, clip }, 'Negative Prompt');
  const latent = startingLatent(b, vae);
  const sampler = b.add('KSampler', {
    model, seed, steps: params.steps, cfg: params.cfg, sampler_name: params.sampler, scheduler: params.scheduler,
    positive: link(positive, 0), negative: link(negative, 0), latent_image: latent, denoise: params.denoise,
  });
  const decoded = b.add('VAEDecode', { samples: link(sampler, 0), vae });
  b.add('SaveImage', { images: link(decoded, 0), filename_prefix: params.filenamePrefix }, 'Save Image');
  return b.graph;
}

/**
 * Image to image: LoadImage → ImageScale (to the request's size, centre crop) → VAEEncode →
 * KSampler at `denoise` (the strength: 1 ignores the picture, 0.05 barely changes it).
 */
export function buildImg2Img(params: ImageToImageParams): PromptGraph {
  return sampleFrom(params, (b, vae) => {
    const loaded = b.add('LoadImage', { image: params.image }, 'Init Image');
    const scaled = b.add('ImageScale', { image: link(loaded, 0), upscale_method: 'lanczos', width: params.width, height: params.height, crop: 'center' });
    return link(b.add('VAEEncode', { pixels: link(scaled, 0), vae }), 0);
  });
}

/**
 * Upscale without an upscale model: LoadImage → VAEEncode → LatentUpscale to the request's size →
 * a second KSampler pass at a low `denoise` that redraws the detail the enlargement blurred.
 */
export function buildLatentUpscale(params: ImageToImageParams): PromptGraph {
  return sampleFrom(params, (b, vae) => {
    const loaded = b.add('LoadImage', { image: params.image }, 'Image to upscale');
    const encoded = b.add('VAEEncode', { pixels: link(loaded, 0), vae });
    return link(b.add('LatentUpscale', { samples: link(encoded, 0), upscale_method: 'bislerp', width: params.width, height: params.height, crop: 'disabled' }), 0);
  });
}

export interface ModelUpscaleParams {
  image: string;
  /** A file of `models/upscale_models` (e.g. `4x-UltraSharp.pth`). */
  upscaleModel: string;
  width: number;
  height: number;
  filenamePrefix: string;
}

/**
 * Upscale with an upscale model (ESRGAN and the like, comfy_extras' nodes): LoadImage →
 * UpscaleModelLoader → ImageUpscaleWithModel (the model's own factor) → ImageScale to the size asked.
 */
export function buildModelUpscale(params: ModelUpscaleParams): PromptGraph {
  if (!params.filenamePrefix) throw new AppError(ErrorCode.Validation, 'filenamePrefix is empty — give each job its own prefix');
  if (!params.image) throw new AppError(ErrorCode.Validation, 'image is empty — upload the starting picture first');
  const b = new GraphBuilder();
  const loaded = b.add('LoadImage', { image: params.image }, 'Image to upscale');
  const model = b.add('UpscaleModelLoader', { model_name: params.upscaleModel });
  const upscaled = b.add('ImageUpscaleWithModel', { upscale_model: link(model, 0), image: link(loaded, 0) });
  const sized = b.add('ImageScale', { image: link(upscaled, 0), upscale_method: 'lanczos', width: params.width, height: params.height, crop: 'disabled' });
  b.add('SaveImage', { images: link(sized, 0), filename_prefix: params.filenamePrefix }, 'Save Image');
  return b.graph;
}

/** The upscale model an instance offers (its object_info's UpscaleModelLoader list, first by name); undefined without one. */
export function upscaleModelIn(info: ObjectInfo): string | undefined {
  const spec = info.UpscaleModelLoader?.input.required?.model_name;
  const files = spec ? comboValues(spec)?.filter((f): f is string => typeof f === 'string') : undefined;
  return files?.length ? [...files].sort()[0] : undefined;
}
