import { randomUUID } from 'node:crypto';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ComfyClient, isLink, validateWorkflow, type PromptGraph, type PromptNode } from '#shared/comfyui/index.ts';
import { buildImg2Img, buildLatentUpscale, buildModelUpscale, upscaleModelIn, type ImageToImageParams } from '#shared/comfyui/workflow/image-to-image.ts';
import { AppError } from '#shared/errors.ts';
import { simVersions, startComfySim } from '#sim/comfyui/index.ts';
import { loadObjectInfo, txt2imgParams } from './fixtures.ts';

function params(over: Partial<ImageToImageParams> = {}): ImageToImageParams {
  const { batchSize: _batch, ...base } = txt2imgParams({ width: 512, height: 768, denoise: 0.6 });
  return { ...base, image: 'genonaut-abc.png', ...over };
}

function only(graph: PromptGraph, classType: string): PromptNode {
  const found = Object.values(graph).filter((n) => n.class_type === classType);
  expect(found, classType).toHaveLength(1);
  return found[0]!;
}

function from(graph: PromptGraph, node: PromptNode, input: string): PromptNode {
  const v = node.inputs[input];
  if (!isLink(v)) throw new Error(`${node.class_type}.${input} is not a link`);
  return graph[v[0]]!;
}

describe('image to image builders', () => {
  it('img2img: LoadImage → ImageScale to the size → VAEEncode → KSampler at the strength', () => {
    const g = buildImg2Img(params({ vae: 'sdxl_vae.safetensors', loras: [{ name: 'add_detail.safetensors', strengthModel: 0.7, strengthClip: 0.7 }] }));
    const ks = only(g, 'KSampler');
    expect(ks.inputs.denoise).toBe(0.6);
    const encode = from(g, ks, 'latent_image');
    expect(encode.class_type).toBe('VAEEncode');
    expect(from(g, encode, 'vae').class_type).toBe('VAELoader');
    const scale = from(g, encode, 'pixels');
    expect(scale).toMatchObject({ class_type: 'ImageScale', inputs: { width: 512, height: 768, crop: 'center' } });
    expect(from(g, scale, 'image')).toMatchObject({ class_type: 'LoadImage', inputs: { image: 'genonaut-abc.png' } });
    expect(from(g, ks, 'model').class_type).toBe('LoraLoader');
    expect(from(g, only(g, 'VAEDecode'), 'vae').class_type).toBe('VAELoader');
    expect(validateWorkflow(g, loadObjectInfo())).toEqual([]);
  });

  it('upscale: LoadImage → VAEEncode → LatentUpscale to the size → a second pass', () => {
    const g = buildLatentUpscale(params({ width: 2048, height: 2048, denoise: 0.35 }));
    const ks = only(g, 'KSampler');
    expect(ks.inputs.denoise).toBe(0.35);
    const up = from(g, ks, 'latent_image');
    expect(up).toMatchObject({ class_type: 'LatentUpscale', inputs: { width: 2048, height: 2048 } });
    expect(from(g, from(g, up, 'samples'), 'pixels').class_type).toBe('LoadImage');
    expect(validateWorkflow(g, loadObjectInfo())).toEqual([]);
  });

  it('refuses a graph without an image or a filename prefix', () => {
    expect(() => buildImg2Img(params({ image: '' }))).toThrow(AppError);
    expect(() => buildLatentUpscale(params({ filenamePrefix: '' }))).toThrow(AppError);
  });
});

describe.each(simVersions)('image to image against the %s stand-in', (version) => {
  let sim: Awaited<ReturnType<typeof startComfySim>>;
  let client: ComfyClient;
  beforeAll(async () => {
    sim = await startComfySim({ models: { checkpoints: ['a.safetensors'] }, secondsPerStep: 0.002, version });
    client = new ComfyClient({ baseUrl: sim.url, retries: 1, timeoutMs: 5_000 });
  });
  afterAll(async () => {
    await client?.close();
    await sim?.close();
  });

  const png = (width: number, height: number) => sharp({ create: { width, height, channels: 3, background: '#3366aa' } }).png().toBuffer();

  async function run(graph: PromptGraph) {
    const promptId = randomUUID();
    await client.submit(graph, { promptId });
    const outcome = await client.followPrompt(promptId, { pollIntervalMs: 100, timeoutMs: 15_000 });
    if (outcome.status !== 'success') throw new Error(`prompt ended ${outcome.status}`);
    const file = await (await client.openOutput(outcome.images[0]!)).toArray();
    return sharp(Buffer.concat(file)).metadata();
  }

  it('uploads through POST /upload/image (same bytes reuse the file), then img2img and upscale run at the asked size', async () => {
    const bytes = await png(300, 200);
    const name = await client.uploadImage(bytes, 'genonaut-test.png');
    expect(name).toBe('genonaut-test.png');
    expect(await client.uploadImage(bytes, 'genonaut-test.png')).toBe(name);
    expect(await client.uploadImage(await png(10, 10), 'genonaut-test.png')).toBe('genonaut-test (1).png');
    expect(sim.requests).toContain('POST /upload/image');

    const base = { checkpoint: 'a.safetensors', steps: 4, image: name };
    const img = await run(buildImg2Img(params({ ...base, width: 512, height: 384, filenamePrefix: `t/${randomUUID()}` })));
    expect([img.width, img.height]).toEqual([512, 384]);
    const up = await run(buildLatentUpscale(params({ ...base, width: 600, height: 400, denoise: 0.35, filenamePrefix: `t/${randomUUID()}` })));
    expect([up.width, up.height]).toEqual([600, 400]);
  });

  it('an instance with an upscale model lists comfy_extras\' upscale nodes; the model upscale validates and runs at the asked size', async () => {
    expect(upscaleModelIn(await client.objectInfo())).toBeUndefined();
    sim.setModels('upscale_models', ['RealESRGAN_x2.pth', '4x-UltraSharp.pth']);
    try {
      const info = await client.objectInfo();
      expect(upscaleModelIn(info)).toBe('4x-UltraSharp.pth');
      const name = await client.uploadImage(await png(320, 240), 'genonaut-up.png');
      const graph = buildModelUpscale({ image: name, upscaleModel: '4x-UltraSharp.pth', width: 640, height: 480, filenamePrefix: `t/${randomUUID()}` });
      expect(validateWorkflow(graph, info)).toEqual([]);
      const out = await run(graph);
      expect([out.width, out.height]).toEqual([640, 480]);
      await expect(client.submit(buildModelUpscale({ image: name, upscaleModel: 'missing.pth', width: 640, height: 480, filenamePrefix: 'x' }))).rejects.toThrow(/missing\.pth/);
    } finally {
      sim.setModels('upscale_models', []);
    }
  });

  it('ComfyUI refuses a LoadImage of a file that was never uploaded', async () => {
    await expect(client.submit(buildImg2Img(params({ checkpoint: 'a.safetensors', image: 'never-uploaded.png' })))).rejects.toThrow(/never-uploaded/);
  });
});
