import { AppError, ErrorCode } from '../../../errors.ts';
import { link, type Link, type PromptGraph } from '../graph.ts';
import { GraphBuilder } from '../graph-builder.ts';
import { parseSeed } from '../seed.ts';

export interface LoraSpec {
  name: string;
  strengthModel: number;
  strengthClip: number;
}

export interface Txt2ImgParams {
  checkpoint: string;
  /** Applied in array order, each on top of the previous one. */
  loras: LoraSpec[];
  /** A file of `models/vae`; the checkpoint's own VAE when absent. */
  vae?: string;
  prompt: string;
  negativePrompt: string;
  width: number;
  height: number;
  batchSize: number;
  /** Decimal uint64, 0..2^64-1. */
  seed: string;
  steps: number;
  cfg: number;
  sampler: string;
  scheduler: string;
  denoise: number;
  filenamePrefix: string;
}

/**
 * CheckpointLoaderSimple → LoraLoader chain (LoraLoaderModelOnly when strengthClip is 0)
 * → CLIPTextEncode ×2 → EmptyLatentImage → KSampler → VAEDecode (optional VAELoader) → SaveImage.
 */
export function buildTxt2Img(params: Txt2ImgParams): PromptGraph {
  if (!params.filenamePrefix) {
    throw new AppError(ErrorCode.Validation, 'filenamePrefix is empty — give each job its own prefix');
  }
  const seed = parseSeed(params.seed);
  const b = new GraphBuilder();

  const checkpoint = b.add('CheckpointLoaderSimple', { ckpt_name: params.checkpoint }, 'Load Checkpoint');
  let model: Link = link(checkpoint, 0);
  let clip: Link = link(checkpoint, 1);
  let vae: Link = link(checkpoint, 2);

  for (const lora of params.loras) {
    if (lora.strengthClip === 0) {
      const id = b.add('LoraLoaderModelOnly', { model, lora_name: lora.name, strength_model: lora.strengthModel });
      model = link(id, 0);
    } else {
      const id = b.add('LoraLoader', {
        model,
        clip,
        lora_name: lora.name,
        strength_model: lora.strengthModel,
        strength_clip: lora.strengthClip,
      });
      model = link(id, 0);
      clip = link(id, 1);
    }
  }

  const positive = b.add('CLIPTextEncode', { text: params.prompt, clip }, 'Positive Prompt');
  const negative = b.add('CLIPTextEncode', { text: params.negativePrompt, clip }, 'Negative Prompt');
  const latent = b.add('EmptyLatentImage', { width: params.width, height: params.height, batch_size: params.batchSize });
  const sampler = b.add('KSampler', {
    model,
    seed,
    steps: params.steps,
    cfg: params.cfg,
    sampler_name: params.sampler,
    scheduler: params.scheduler,
    positive: link(positive, 0),
    negative: link(negative, 0),
    latent_image: link(latent, 0),
    denoise: params.denoise,
  });
  if (params.vae) {
    vae = link(b.add('VAELoader', { vae_name: params.vae }), 0);
  }
  const decoded = b.add('VAEDecode', { samples: link(sampler, 0), vae });
  b.add('SaveImage', { images: link(decoded, 0), filename_prefix: params.filenamePrefix }, 'Save Image');
  return b.graph;
}
