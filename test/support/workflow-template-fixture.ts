import type { PromptGraph, TemplateBindings } from '#shared/comfyui/workflow/index.ts';

/** ComfyUI's default graph as its "Export (API)" writes it (node ids, `_meta` titles and all). */
export function exportedTxt2Img(): PromptGraph {
  return {
    '3': {
      inputs: { seed: 156680208700286, steps: 20, cfg: 8, sampler_name: 'euler', scheduler: 'normal', denoise: 1, model: ['4', 0], positive: ['6', 0], negative: ['7', 0], latent_image: ['5', 0] },
      class_type: 'KSampler', _meta: { title: 'KSampler' },
    },
    '4': { inputs: { ckpt_name: 'v1-5-pruned-emaonly.safetensors' }, class_type: 'CheckpointLoaderSimple', _meta: { title: 'Load Checkpoint' } },
    '5': { inputs: { width: 512, height: 512, batch_size: 1 }, class_type: 'EmptyLatentImage', _meta: { title: 'Empty Latent Image' } },
    '6': { inputs: { text: 'beautiful scenery nature glass bottle landscape, , purple galaxy bottle,', clip: ['4', 1] }, class_type: 'CLIPTextEncode', _meta: { title: 'CLIP Text Encode (Prompt)' } },
    '7': { inputs: { text: 'text, watermark', clip: ['4', 1] }, class_type: 'CLIPTextEncode', _meta: { title: 'CLIP Text Encode (Prompt)' } },
    '8': { inputs: { samples: ['3', 0], vae: ['4', 2] }, class_type: 'VAEDecode', _meta: { title: 'VAE Decode' } },
    '9': { inputs: { filename_prefix: 'ComfyUI', images: ['8', 0] }, class_type: 'SaveImage', _meta: { title: 'Save Image' } },
  };
}

export function exportedTxt2ImgBindings(): TemplateBindings {
  return {
    prompt: { node: '6', input: 'text' },
    negative: { node: '7', input: 'text' },
    seed: { node: '3', input: 'seed' },
    steps: { node: '3', input: 'steps' },
    cfg: { node: '3', input: 'cfg' },
    sampler: { node: '3', input: 'sampler_name' },
    scheduler: { node: '3', input: 'scheduler' },
    denoise: { node: '3', input: 'denoise' },
    width: { node: '5', input: 'width' },
    height: { node: '5', input: 'height' },
    batchSize: { node: '5', input: 'batch_size' },
    checkpoint: { node: '4', input: 'ckpt_name' },
    loras: { model: { node: '4', output: 0 }, clip: { node: '4', output: 1 } },
  };
}

/** The same workflow with a custom node (the stand-in's `SimImageTint`) between decode and save. */
export function exportedWithCustomNode(): PromptGraph {
  const g = exportedTxt2Img();
  g['10'] = { inputs: { image: ['8', 0], strength: 0.5 }, class_type: 'SimImageTint', _meta: { title: 'Tint (custom node)' } };
  g['9']!.inputs.images = ['10', 0];
  return g;
}
