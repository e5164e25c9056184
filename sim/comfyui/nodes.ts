/** What each node class "computes" on the simulated GPU: symbolic models/latents, real PNG files. */
import { createHash, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { annotated, dirFor, pyJoin, saveImagePath, type SimDirs } from './files.ts';
import { fingerprintOf, renderPng } from './images.ts';
import { allocateOnHost, pyRoundInt, sampleOnGpu } from './memory.ts';
import type { ModelRegistry } from './models.ts';
import { pyGetItem, pyIter } from './pycontainers.ts';
import { dumps, PyFloat, repr, str, typeName, type Loose, type PyDict, type PyValue } from './pyjson.ts';
import { PyException } from './pyops.ts';
import { upscaleScale } from './upscale-model-nodes.ts';

export interface Sym {
  kind: 'MODEL' | 'CLIP' | 'VAE' | 'CONDITIONING' | 'LATENT' | 'IMAGE' | 'MASK' | 'UPSCALE_MODEL';
  /** UPSCALE_MODEL: how many times larger it makes a picture. */
  scale?: number;
  desc: string;
  width?: number;
  height?: number;
  /** One fingerprint per batch item (LATENT / IMAGE). */
  items?: string[];
}

export interface NodeContext {
  nodeId: string;
  prompt: PyDict;
  models: ModelRegistry;
  dirs: SimDirs;
  /** Reports sampler step `value` of `max` (sleeps, checks interrupt, emits progress and previews). */
  step(value: number, max: number, previewFingerprint: string, latentWidth: number, latentHeight: number): Promise<void>;
  takeOom(): boolean;
}

export interface NodeResult {
  outputs: unknown[];
  ui?: Loose;
}

type Inputs = Map<string, unknown>;
export type NodeFn = (inputs: Inputs, ctx: NodeContext) => Promise<NodeResult>;

export const num = (v: unknown): number => (typeof v === 'bigint' ? Number(v) : v instanceof PyFloat ? v.value : Number(v));
export const sym = (v: unknown): Sym => v as Sym;

function requireModel(models: ModelRegistry, folder: string, name: unknown): string {
  const file = str(name as PyValue);
  if (!models.has(folder, file)) throw new PyException('FileNotFoundError', `Model in folder '${folder}' with filename '${file}' not found.`);
  return file;
}

async function sample(inputs: Inputs, ctx: NodeContext, seed: unknown, steps: number): Promise<NodeResult> {
  const latent = sym(inputs.get('latent_image'));
  sampleOnGpu((latent.items?.length ?? 1) * (latent.width ?? 8) * (latent.height ?? 8), ctx.takeOom());
  const model = sym(inputs.get('model'));
  const recipe = [model.desc, sym(inputs.get('positive')).desc, sym(inputs.get('negative')).desc, str(seed as PyValue),
    str(inputs.get('cfg') as PyValue), str(inputs.get('sampler_name') as PyValue), str(inputs.get('scheduler') as PyValue), steps];
  const items = (latent.items ?? []).map((fp, i) => fingerprintOf([...recipe, fp, i]));
  const lw = Math.floor((latent.width ?? 8) / 8);
  const lh = Math.floor((latent.height ?? 8) / 8);
  for (let s = 1; s <= steps; s++) await ctx.step(s, steps, items[0] ?? '', lw, lh);
  return { outputs: [{ ...latent, items, desc: `latent:${items.join(',')}` } satisfies Sym] };
}

function resized(v: Sym, width: number, height: number, multiple: number): Sym {
  if (width === 0 && height === 0) return v;
  const w0 = v.width ?? 8;
  const h0 = v.height ?? 8;
  const w = width === 0 ? Math.max(1, pyRoundInt((w0 * height) / h0)) : width;
  const h = height === 0 ? Math.max(1, pyRoundInt((h0 * width) / w0)) : height;
  return { ...v, width: Math.floor(w / multiple) * multiple, height: Math.floor(h / multiple) * multiple, desc: `${v.desc}@${w}x${h}` };
}

/** `for x in extra_pnginfo: metadata.add_text(x, json.dumps(extra_pnginfo[x]))`; PIL encodes each key as latin-1. */
function pngInfoTexts(pnginfo: PyValue): [string, string][] {
  if (pnginfo === null) return [];
  return pyIter(pnginfo).map((key): [string, string] => {
    const value = pyGetItem(pnginfo, key);
    if (typeof key !== 'string') throw new PyException('AttributeError', `'${typeName(key)}' object has no attribute 'encode'`);
    const bad = [...key].findIndex((ch) => ch.codePointAt(0)! > 0xff);
    if (bad >= 0) {
      const cp = [...key][bad]!.codePointAt(0)!;
      const escape = cp > 0xffff ? `\\U${cp.toString(16).padStart(8, '0')}` : `\\u${cp.toString(16).padStart(4, '0')}`;
      throw new PyException('UnicodeEncodeError', `'latin-1' codec can't encode character '${escape}' in position ${bad}: ordinal not in range(256)`);
    }
    return [key, dumps(value)];
  });
}

async function saveImages(inputs: Inputs, ctx: NodeContext, type: 'output' | 'temp'): Promise<NodeResult> {
  const images = sym(inputs.get('images'));
  const width = images.width ?? 8;
  const height = images.height ?? 8;
  const prefix = type === 'output' ? str((inputs.get('filename_prefix') ?? 'ComfyUI') as PyValue)
    : `ComfyUI_temp_${[...randomBytes(5)].map((b) => 'abcdefghijklmnopqrstuvwxyz'[b % 26]).join('')}`;
  const target = await saveImagePath(prefix, ctx.dirs[type], width, height);
  const texts: [string, string][] = [['prompt', dumps(ctx.prompt)], ...pngInfoTexts(inputs.get('extra_pnginfo') as PyValue)];
  const results: Loose[] = [];
  let counter = target.counter;
  for (const [batch, fp] of (images.items ?? []).entries()) {
    const file = `${target.filename.replaceAll('%batch_num%', String(batch))}_${String(counter).padStart(5, '0')}_.png`;
    await writeFile(path.join(target.folder, file), await renderPng(fp, width, height, texts, type === 'output' ? 4 : 1));
    results.push({ filename: file, subfolder: target.subfolder, type });
    counter++;
  }
  return { outputs: [images], ui: { images: results } };
}

/** `open(path, "rb")` failing the way Python reports it. */
function osError(ex: unknown, file: string): PyException {
  const code = (ex as NodeJS.ErrnoException).code;
  const known: Record<string, [string, number, string]> = {
    ENOENT: ['FileNotFoundError', 2, 'No such file or directory'],
    EISDIR: ['IsADirectoryError', 21, 'Is a directory'],
    EACCES: ['PermissionError', 13, 'Permission denied'],
  };
  const [type, errno, text] = known[code ?? ''] ?? ['OSError', 5, 'Input/output error'];
  return new PyException(type, `[Errno ${errno}] ${text}: ${repr(file)}`);
}

/** PIL's `Image.MAX_IMAGE_PIXELS` doubled: above it `Image.open` raises DecompressionBombError. */
const PIL_BOMB_PIXELS = 2 * 89478485;

/** `LoadImage.load_image`: `Image.open` of the annotated path (PIL errors as PIL names them). */
async function loadImage(inputs: Inputs, ctx: NodeContext): Promise<NodeResult> {
  const { name, type } = annotated(str(inputs.get('image') as PyValue));
  const file = pyJoin(dirFor(ctx.dirs, type ?? 'input')!, name);
  const bytes = await readFile(file).catch((ex: unknown) => {
    throw osError(ex, file);
  });
  const meta = await sharp(bytes, { limitInputPixels: false }).metadata().catch(() => {
    throw new PyException('PIL.UnidentifiedImageError', `cannot identify image file ${repr(file)}`);
  });
  const pixels = (meta.width ?? 0) * (meta.height ?? 0);
  if (pixels > PIL_BOMB_PIXELS) {
    throw new PyException('PIL.Image.DecompressionBombError', `Image size (${pixels} pixels) exceeds limit of ${PIL_BOMB_PIXELS} pixels, could be decompression bomb DOS attack.`);
  }
  const fp = createHash('sha256').update(bytes).digest('hex');
  const image: Sym = { kind: 'IMAGE', desc: `file:${fp}`, width: meta.width, height: meta.height, items: [fp] };
  return { outputs: [image, { kind: 'MASK', desc: `mask:${fp}` } satisfies Sym] };
}

export const NODE_FUNCTIONS: Record<string, NodeFn> = {
  CheckpointLoaderSimple: async (i, ctx) => {
    const name = requireModel(ctx.models, 'checkpoints', i.get('ckpt_name'));
    return { outputs: [{ kind: 'MODEL', desc: `ckpt:${name}` }, { kind: 'CLIP', desc: `clip:${name}` }, { kind: 'VAE', desc: `vae:${name}` }] };
  },
  LoraLoader: async (i, ctx) => {
    const model = sym(i.get('model'));
    const clip = sym(i.get('clip'));
    if (num(i.get('strength_model')) === 0 && num(i.get('strength_clip')) === 0) return { outputs: [model, clip] };
    const name = requireModel(ctx.models, 'loras', i.get('lora_name'));
    const tag = `+lora:${name}:${num(i.get('strength_model'))}:${num(i.get('strength_clip'))}`;
    return { outputs: [{ ...model, desc: model.desc + tag }, { ...clip, desc: clip.desc + tag }] };
  },
  LoraLoaderModelOnly: async (i, ctx) => {
    const model = sym(i.get('model'));
    if (num(i.get('strength_model')) === 0) return { outputs: [model] };
    const name = requireModel(ctx.models, 'loras', i.get('lora_name'));
    return { outputs: [{ ...model, desc: `${model.desc}+lora:${name}:${num(i.get('strength_model'))}` }] };
  },
  VAELoader: async (i, ctx) => {
    const name = str(i.get('vae_name') as PyValue);
    if (!['pixel_space', 'taesd', 'taesdxl', 'taesd3', 'taef1'].includes(name)) requireModel(ctx.models, 'vae', name);
    return { outputs: [{ kind: 'VAE', desc: `vae:${name}` }] };
  },
  CLIPTextEncode: async (i) => ({ outputs: [{ kind: 'CONDITIONING', desc: `${sym(i.get('clip')).desc}|${str(i.get('text') as PyValue)}` }] }),
  CLIPSetLastLayer: async (i) => ({ outputs: [{ ...sym(i.get('clip')), desc: `${sym(i.get('clip')).desc}/skip${num(i.get('stop_at_clip_layer'))}` }] }),
  EmptyLatentImage: async (i) => {
    const width = Math.floor(num(i.get('width')) / 8) * 8;
    const height = Math.floor(num(i.get('height')) / 8) * 8;
    allocateOnHost(num(i.get('batch_size')) * 4 * (height / 8) * (width / 8));
    const items = Array.from({ length: num(i.get('batch_size')) }, () => `empty:${width}x${height}`);
    return { outputs: [{ kind: 'LATENT', desc: `empty:${width}x${height}`, width, height, items }] };
  },
  KSampler: async (i, ctx) => sample(i, ctx, i.get('seed'), num(i.get('steps'))),
  KSamplerAdvanced: async (i, ctx) => {
    const steps = Math.max(0, Math.min(num(i.get('end_at_step')), num(i.get('steps'))) - num(i.get('start_at_step')));
    return sample(i, ctx, i.get('noise_seed'), steps);
  },
  VAEDecode: async (i) => {
    const latent = sym(i.get('samples'));
    allocateOnHost((latent.items?.length ?? 1) * (latent.width ?? 8) * (latent.height ?? 8) * 3);
    return { outputs: [{ ...latent, kind: 'IMAGE', desc: `decoded:${latent.desc}:${sym(i.get('vae')).desc}` }] };
  },
  VAEEncode: async (i) => {
    const image = sym(i.get('pixels'));
    return { outputs: [{ ...image, kind: 'LATENT', width: Math.floor((image.width ?? 8) / 8) * 8, height: Math.floor((image.height ?? 8) / 8) * 8 }] };
  },
  LatentUpscale: async (i) => ({ outputs: [resized(sym(i.get('samples')), num(i.get('width')), num(i.get('height')), 8)] }),
  LatentUpscaleBy: async (i) => {
    const s = sym(i.get('samples'));
    const k = num(i.get('scale_by'));
    return { outputs: [resized(s, pyRoundInt(((s.width ?? 8) / 8) * k) * 8, pyRoundInt(((s.height ?? 8) / 8) * k) * 8, 8)] };
  },
  ImageScale: async (i) => ({ outputs: [resized(sym(i.get('image')), num(i.get('width')), num(i.get('height')), 1)] }),
  ImageScaleBy: async (i) => {
    const s = sym(i.get('image'));
    const k = num(i.get('scale_by'));
    return { outputs: [resized(s, pyRoundInt((s.width ?? 8) * k), pyRoundInt((s.height ?? 8) * k), 1)] };
  },
  SaveImage: async (i, ctx) => saveImages(i, ctx, 'output'),
  PreviewImage: async (i, ctx) => saveImages(i, ctx, 'temp'),
  LoadImage: loadImage,
  UpscaleModelLoader: async (i, ctx) => {
    const name = requireModel(ctx.models, 'upscale_models', i.get('model_name'));
    return { outputs: [{ kind: 'UPSCALE_MODEL', desc: `upscaler:${name}`, scale: upscaleScale(name) }] };
  },
  ImageUpscaleWithModel: async (i) => {
    const image = sym(i.get('image'));
    const scale = sym(i.get('upscale_model')).scale ?? 4;
    return { outputs: [resized(image, (image.width ?? 8) * scale, (image.height ?? 8) * scale, 1)] };
  },
};
