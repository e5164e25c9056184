import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTextChunks, startComfySim, type ComfySim } from '#sim/comfyui/index.ts';
import { getJson, postPrompt, txt2img } from './helpers.ts';

let sim: ComfySim;
beforeAll(async () => {
  sim = await startComfySim({ secondsPerStep: 0.001, models: { checkpoints: ['only.safetensors', 'sub/b.ckpt', 'notes.txt'], loras: ['add_detail.safetensors'] } });
});
afterAll(() => sim.close());

type Images = { filename: string; subfolder: string; type: string }[];

async function run(prompt: string): Promise<{ pid: string; images: Images }> {
  const { body, status, text } = await postPrompt(sim, prompt);
  if (status !== 200) throw new Error(text);
  const pid = body.prompt_id as string;
  await sim.waitFor('execution_success', pid);
  await sim.waitFor('idle');
  const hist = (await getJson(sim, `/history/${pid}`)) as Record<string, { outputs: Record<string, { images: Images }> }>;
  return { pid, images: hist[pid]!.outputs['9']!.images };
}

describe('§7 output files and §3.8 /view', () => {
  it('§7 SaveImage writes one real PNG per batch item, counter continues, prefix subfolders, tEXt prompt chunk', async () => {
    const prompt = txt2img({ ckpt: 'only.safetensors', width: 80, height: 64, batch: 2, prefix: 'a/b/img', seed: 1 });
    const first = await run(prompt);
    expect(first.images).toEqual([{ filename: 'img_00001_.png', subfolder: 'a/b', type: 'output' }, { filename: 'img_00002_.png', subfolder: 'a/b', type: 'output' }]);
    const second = await run(txt2img({ ckpt: 'only.safetensors', width: 80, height: 64, batch: 1, prefix: 'a/b/img', seed: 2 }));
    expect(second.images[0]!.filename).toBe('img_00003_.png');
    const res = await fetch(`${sim.url}/view?filename=img_00001_.png&subfolder=a/b&type=output`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(bytes).toEqual(readFileSync(path.join(sim.outputDir, 'a/b/img_00001_.png')));
    const meta = await sharp(bytes).metadata();
    expect([meta.width, meta.height]).toEqual([80, 64]);
    const stored = JSON.parse(readTextChunks(bytes).get('prompt')!) as Record<string, { inputs: Record<string, unknown> }>;
    expect(stored['3']!.inputs.seed).toBe(1);
    expect(stored['3']!.inputs.cfg).toBe(7);
  });

  it('§7 pixels depend on prompt text and seed', async () => {
    const px = async (images: Images) => (await sharp(path.join(sim.outputDir, images[0]!.subfolder, images[0]!.filename)).raw().toBuffer()).toString('hex');
    const base = await px((await run(txt2img({ ckpt: 'only.safetensors', text: 'red fox', seed: 7, prefix: 'px/a' }))).images);
    const otherSeed = await px((await run(txt2img({ ckpt: 'only.safetensors', text: 'red fox', seed: 8, prefix: 'px/b' }))).images);
    const otherText = await px((await run(txt2img({ ckpt: 'only.safetensors', text: 'blue whale', seed: 7, prefix: 'px/c' }))).images);
    expect(new Set([base, otherSeed, otherText]).size).toBe(3);
  });

  it('§3.8 /view rules: 404 without filename, 400 for "..", "/x", unknown type, 403 escaping subfolder, basename of filename, 404 missing', async () => {
    const status = async (q: string) => (await fetch(`${sim.url}/view${q}`)).status;
    expect(await status('')).toBe(404);
    expect(await status('?filename=a..b.png')).toBe(400);
    expect(await status('?filename=/etc/passwd')).toBe(400);
    expect(await status('?filename=x.png&type=nope')).toBe(400);
    expect(await status('?filename=x.png&subfolder=../..')).toBe(403);
    expect(await status('?filename=nope.png')).toBe(404);
    expect(await status('?filename=ignored/dir/img_00001_.png&subfolder=a/b')).toBe(200);
    expect(await status('?filename=example.png [input]&type=output')).toBe(200);
    const rgb = await fetch(`${sim.url}/api/view?filename=img_00001_.png&subfolder=a/b&channel=rgb`);
    expect(rgb.headers.get('content-type')).toBe('image/png');
    const webp = await fetch(`${sim.url}/view?filename=img_00001_.png&subfolder=a/b&preview=webp;50`);
    expect(webp.headers.get('content-type')).toBe('image/webp');
  });

  it('§3.9 /upload/image renames on collision, reuses identical content, 400 without file', async () => {
    const png = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#ff0000' } }).png().toBuffer();
    const other = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#00ff00' } }).png().toBuffer();
    const upload = async (bytes: Buffer, fields: Record<string, string> = {}) => {
      const form = new FormData();
      form.set('image', new Blob([new Uint8Array(bytes)], { type: 'image/png' }), 'cat.png');
      for (const [k, v] of Object.entries(fields)) form.set(k, v);
      const res = await fetch(`${sim.url}/upload/image`, { method: 'POST', body: form });
      return { status: res.status, body: res.status === 200 ? await res.json() : undefined };
    };
    expect(await upload(png, { subfolder: 'refs' })).toEqual({ status: 200, body: { name: 'cat.png', subfolder: 'refs', type: 'input' } });
    expect((await upload(png, { subfolder: 'refs' })).body).toEqual({ name: 'cat.png', subfolder: 'refs', type: 'input' });
    expect((await upload(other, { subfolder: 'refs' })).body).toEqual({ name: 'cat (1).png', subfolder: 'refs', type: 'input' });
    expect((await upload(other, { subfolder: 'refs', overwrite: 'true' })).body).toEqual({ name: 'cat.png', subfolder: 'refs', type: 'input' });
    expect((await upload(png, { subfolder: '../../escape' })).status).toBe(400);
    expect((await upload(png, { type: 'weird' })).status).toBe(500);
    const empty = new FormData();
    empty.set('subfolder', 'x');
    expect((await fetch(`${sim.url}/upload/image`, { method: 'POST', body: empty })).status).toBe(400);
  });
});

describe('§3.10–§3.15 info routes', () => {
  it('§3.10 object_info replaces model combos with installed files; seed max verbatim; unknown class is {}', async () => {
    const text = await (await fetch(`${sim.url}/object_info`)).text();
    expect(text).toContain('"max": 18446744073709551615');
    const info = (await getJson(sim, '/api/object_info/CheckpointLoaderSimple')) as Record<string, { input: { required: { ckpt_name: [string[]] } } }>;
    expect(info.CheckpointLoaderSimple!.input.required.ckpt_name[0]).toEqual(['only.safetensors', 'sub/b.ckpt']);
    expect(await getJson(sim, '/object_info/NoSuchNode')).toEqual({});
    const vae = (await getJson(sim, '/object_info/VAELoader')) as Record<string, { input: { required: { vae_name: [string[]] } } }>;
    expect(vae.VAELoader!.input.required.vae_name[0]).toEqual(['sdxl_vae.safetensors', 'vae-ft-mse-840000-ema-pruned.safetensors', 'pixel_space']);
    const load = (await getJson(sim, '/object_info/LoadImage')) as Record<string, { input: { required: { image: [string[]] } } }>;
    expect(load.LoadImage!.input.required.image[0]).toContain('example.png');
  });

  it('§3.11/§3.12 /models, /models/{folder} (404 for unknown, e.g. unet), /embeddings', async () => {
    const folders = (await getJson(sim, '/models')) as string[];
    expect(folders.slice(0, 4)).toEqual(['checkpoints', 'configs', 'loras', 'vae']);
    expect(await getJson(sim, '/models/checkpoints')).toEqual(['only.safetensors', 'sub/b.ckpt']);
    expect((await fetch(`${sim.url}/models/unet`)).status).toBe(404);
    expect(await getJson(sim, '/embeddings')).toEqual(['EasyNegative']);
  });

  it('§3.13/§3.15 /system_stats and /features (float max_upload_size)', async () => {
    const stats = (await getJson(sim, '/system_stats')) as { system: { comfyui_version: string }; devices: unknown[] };
    expect(stats.system.comfyui_version).toBe('0.3.64');
    expect(stats.devices).toHaveLength(1);
    expect(await (await fetch(`${sim.url}/features`)).text()).toBe('{"supports_preview_metadata": true, "max_upload_size": 104857600.0}');
  });

  it('§1 origin check: loopback Host with a foreign Origin is 403; OPTIONS is 200', async () => {
    const res = await fetch(`${sim.url}/queue`, { headers: { origin: 'http://evil.example' } });
    expect(res.status).toBe(403);
    expect((await fetch(`${sim.url}/queue`, { method: 'OPTIONS' })).status).toBe(200);
  });
});
