import { describe, expect, it } from 'vitest';
import { AppError } from '#shared/errors.ts';
import { buildTxt2Img, buildWorkflow, isLink, serializePrompt, validateWorkflow, type PromptGraph, type PromptNode } from '#shared/comfyui/workflow/index.ts';
import { loadObjectInfo, txt2imgParams } from './fixtures.ts';

function only(graph: PromptGraph, classType: string): [string, PromptNode] {
  const found = Object.entries(graph).filter(([, n]) => n.class_type === classType);
  expect(found, classType).toHaveLength(1);
  return found[0]!;
}

function source(graph: PromptGraph, node: PromptNode, input: string): [string, PromptNode, number] {
  const v = node.inputs[input];
  if (!isLink(v)) throw new Error(`${node.class_type}.${input} is not a link: ${String(v)}`);
  return [v[0], graph[v[0]]!, v[1]];
}

describe('buildTxt2Img', () => {
  it('wires checkpoint → encoders → latent → sampler → decode → save with every parameter in place', () => {
    const g = buildTxt2Img(txt2imgParams({ width: 832, height: 1216, batchSize: 2, steps: 30, cfg: 6.5, sampler: 'dpmpp_2m', scheduler: 'karras', denoise: 0.9 }));
    const [ckptId, ckpt] = only(g, 'CheckpointLoaderSimple');
    expect(ckpt.inputs).toEqual({ ckpt_name: 'sd_xl_base_1.0.safetensors' });

    const [, ks] = only(g, 'KSampler');
    expect(ks.inputs).toMatchObject({ seed: 42n, steps: 30, cfg: 6.5, sampler_name: 'dpmpp_2m', scheduler: 'karras', denoise: 0.9 });
    expect(source(g, ks, 'model')).toEqual([ckptId, ckpt, 0]);
    const [, pos] = source(g, ks, 'positive');
    const [, neg] = source(g, ks, 'negative');
    expect(pos.inputs.text).toBe('a lighthouse at dusk');
    expect(neg.inputs.text).toBe('blurry');
    expect(source(g, pos, 'clip')).toEqual([ckptId, ckpt, 1]);
    expect(source(g, neg, 'clip')).toEqual([ckptId, ckpt, 1]);
    const [, latent] = source(g, ks, 'latent_image');
    expect(latent).toEqual({ class_type: 'EmptyLatentImage', inputs: { width: 832, height: 1216, batch_size: 2 } });

    const [, save] = only(g, 'SaveImage');
    expect(save.inputs.filename_prefix).toBe('genonaut/job-1');
    const [, decode] = source(g, save, 'images');
    expect(decode.class_type).toBe('VAEDecode');
    expect(source(g, decode, 'samples')[1]).toBe(ks);
    expect(source(g, decode, 'vae')).toEqual([ckptId, ckpt, 2]);
    expect(Object.values(g).some((n) => n.class_type === 'VAELoader')).toBe(false);
    expect(Object.keys(g)).toHaveLength(7);
  });

  it('chains LoRAs in the given order and uses LoraLoaderModelOnly when strengthClip is 0', () => {
    const g = buildTxt2Img(
      txt2imgParams({
        loras: [
          { name: 'add_detail.safetensors', strengthModel: 0.8, strengthClip: 0.7 },
          { name: 'lcm-lora-sdv1-5.safetensors', strengthModel: 1, strengthClip: 0 },
          { name: 'style/pixel_art_xl.safetensors', strengthModel: 0.5, strengthClip: 0.5 },
        ],
      }),
    );
    const [ckptId] = only(g, 'CheckpointLoaderSimple');
    const [, ks] = only(g, 'KSampler');

    // Walk the model chain back from the sampler: last LoRA first.
    const [thirdId, third] = source(g, ks, 'model');
    expect(third).toMatchObject({ class_type: 'LoraLoader', inputs: { lora_name: 'style/pixel_art_xl.safetensors', strength_model: 0.5, strength_clip: 0.5 } });
    const [secondId, second] = source(g, third, 'model');
    expect(second).toMatchObject({ class_type: 'LoraLoaderModelOnly', inputs: { lora_name: 'lcm-lora-sdv1-5.safetensors', strength_model: 1 } });
    expect(second.inputs).not.toHaveProperty('clip');
    expect(second.inputs).not.toHaveProperty('strength_clip');
    const [firstId, first] = source(g, second, 'model');
    expect(first).toMatchObject({ class_type: 'LoraLoader', inputs: { lora_name: 'add_detail.safetensors', strength_model: 0.8, strength_clip: 0.7 } });
    expect(source(g, first, 'model')[0]).toBe(ckptId);

    // CLIP skips the model-only LoRA: third takes the first LoRA's clip; encoders take the third's.
    expect(source(g, third, 'clip')).toEqual([firstId, first, 1]);
    expect(source(g, first, 'clip')[0]).toBe(ckptId);
    for (const enc of Object.values(g).filter((n) => n.class_type === 'CLIPTextEncode')) {
      expect(source(g, enc, 'clip')).toEqual([thirdId, third, 1]);
    }
    expect(secondId).not.toBe(thirdId);
    expect(validateWorkflow(g, loadObjectInfo())).toEqual([]);
  });

  it('adds a VAELoader feeding VAEDecode when a VAE is given', () => {
    const g = buildTxt2Img(txt2imgParams({ vae: 'sdxl_vae.safetensors' }));
    const [vaeId, vae] = only(g, 'VAELoader');
    expect(vae.inputs).toEqual({ vae_name: 'sdxl_vae.safetensors' });
    const [, decode] = only(g, 'VAEDecode');
    expect(decode.inputs.vae).toEqual([vaeId, 0]);
    expect(validateWorkflow(g, loadObjectInfo())).toEqual([]);
  });

  it('is reachable through the template registry', () => {
    expect(buildWorkflow('txt2img', txt2imgParams())).toEqual(buildTxt2Img(txt2imgParams()));
  });

  it('rejects seeds that are not a uint64 before building', () => {
    expect(() => buildTxt2Img(txt2imgParams({ seed: '18446744073709551616' }))).toThrow(/above the maximum 18446744073709551615/);
    expect(() => buildTxt2Img(txt2imgParams({ seed: '-1' }))).toThrow(AppError);
    expect(() => buildTxt2Img(txt2imgParams({ seed: '1e5' }))).toThrow(/digits only/);
  });
});

describe('serializePrompt', () => {
  it('keeps a 2^64-1 seed byte-exact on the wire', () => {
    const g = buildTxt2Img(txt2imgParams({ seed: '18446744073709551615' }));
    const text = serializePrompt({ prompt: g, client_id: 'c', prompt_id: 'p' });
    expect(text).toContain('"seed":18446744073709551615,');
    expect(text).not.toContain('18446744073709552000');
    // What Number would have done:
    expect(JSON.stringify(Number('18446744073709551615'))).toBe('18446744073709552000');
  });

  it('writes seeds near 2^53 exactly too', () => {
    const text = serializePrompt(buildTxt2Img(txt2imgParams({ seed: '9007199254740993' })));
    expect(text).toContain('"seed":9007199254740993,');
  });
});
