/**
 * How ComfyUI hands a node its inputs: `execution.get_input_data` (links resolved from upstream outputs,
 * hidden inputs added, undeclared literals dropped) and the Python call `obj.FUNCTION(**inputs)`.
 */
import { CUSTOM_NODES } from './custom-nodes.ts';
import { isLink } from './graph.ts';
import type { NodeDef } from './objectInfo.ts';
import { pyDictGet, pyIndex } from './pycontainers.ts';
import { isDict, PyFloat, str, type Loose, type PyDict, type PyValue } from './pyjson.ts';
import { PyException } from './pyops.ts';

/** FUNCTION of each class as `Class.method` and its parameters, those without a default first (nodes.py). */
const FUNCTIONS: Record<string, { name: string; params: string[]; required: number }> = {
  CheckpointLoaderSimple: { name: 'CheckpointLoaderSimple.load_checkpoint', params: ['ckpt_name'], required: 1 },
  LoraLoader: { name: 'LoraLoader.load_lora', params: ['model', 'clip', 'lora_name', 'strength_model', 'strength_clip'], required: 5 },
  LoraLoaderModelOnly: { name: 'LoraLoaderModelOnly.load_lora_model_only', params: ['model', 'lora_name', 'strength_model'], required: 3 },
  VAELoader: { name: 'VAELoader.load_vae', params: ['vae_name'], required: 1 },
  CLIPTextEncode: { name: 'CLIPTextEncode.encode', params: ['clip', 'text'], required: 2 },
  CLIPSetLastLayer: { name: 'CLIPSetLastLayer.set_last_layer', params: ['clip', 'stop_at_clip_layer'], required: 2 },
  EmptyLatentImage: { name: 'EmptyLatentImage.generate', params: ['width', 'height', 'batch_size'], required: 2 },
  KSampler: {
    name: 'KSampler.sample', required: 9,
    params: ['model', 'seed', 'steps', 'cfg', 'sampler_name', 'scheduler', 'positive', 'negative', 'latent_image', 'denoise'],
  },
  KSamplerAdvanced: {
    name: 'KSamplerAdvanced.sample', required: 13,
    params: ['model', 'add_noise', 'noise_seed', 'steps', 'cfg', 'sampler_name', 'scheduler', 'positive', 'negative', 'latent_image',
      'start_at_step', 'end_at_step', 'return_with_leftover_noise', 'denoise'],
  },
  VAEDecode: { name: 'VAEDecode.decode', params: ['vae', 'samples'], required: 2 },
  VAEEncode: { name: 'VAEEncode.encode', params: ['vae', 'pixels'], required: 2 },
  LatentUpscale: { name: 'LatentUpscale.upscale', params: ['samples', 'upscale_method', 'width', 'height', 'crop'], required: 5 },
  LatentUpscaleBy: { name: 'LatentUpscaleBy.upscale', params: ['samples', 'upscale_method', 'scale_by'], required: 3 },
  ImageScale: { name: 'ImageScale.upscale', params: ['image', 'upscale_method', 'width', 'height', 'crop'], required: 5 },
  ImageScaleBy: { name: 'ImageScaleBy.upscale', params: ['image', 'upscale_method', 'scale_by'], required: 3 },
  // PreviewImage inherits save_images from SaveImage.
  SaveImage: { name: 'SaveImage.save_images', params: ['images', 'filename_prefix', 'prompt', 'extra_pnginfo'], required: 1 },
  PreviewImage: { name: 'SaveImage.save_images', params: ['images', 'filename_prefix', 'prompt', 'extra_pnginfo'], required: 1 },
  LoadImage: { name: 'LoadImage.load_image', params: ['image'], required: 1 },
  UpscaleModelLoader: { name: 'UpscaleModelLoader.load_model', params: ['model_name'], required: 1 },
  ImageUpscaleWithModel: { name: 'ImageUpscaleWithModel.upscale', params: ['upscale_model', 'image'], required: 2 },
};

/** A value a node receives: a Python value, an upstream output object, or None for a missing link. */
export type InputValue = unknown;

/**
 * `get_input_data(inputs, class_def, unique_id, outputs, dynprompt, extra_data)`: `outputOf(id)` gives an
 * executed node's output list. Raises what Python raises (e.g. a float slot indexing that list).
 */
export function inputData(inputs: PyDict, def: NodeDef, outputOf: (id: string) => unknown[] | undefined, prompt: PyDict, extraData: PyValue): Map<string, InputValue> {
  const data = new Map<string, InputValue>();
  const declared = (name: string) => def.required.has(name) || def.optional.has(name) || def.hidden.has(name);
  for (const [name, value] of inputs) {
    if (isLink(value)) {
      const outputs = outputOf(value[0]);
      const slot = value[1];
      const past = outputs === undefined || (slot instanceof PyFloat ? slot.value : Number(slot)) >= outputs.length;
      data.set(name, past ? null : outputs[pyIndex(outputs.length, slot, 'list')]);
    } else if (declared(name)) {
      data.set(name, value);
    }
  }
  for (const [name, kind] of def.hidden) {
    if (kind === 'PROMPT') data.set(name, prompt);
    if (kind === 'EXTRA_PNGINFO') data.set(name, pyDictGet(extraData, 'extra_pnginfo', null));
  }
  return data;
}

/** Binding `FUNCTION(**inputs)`: an unexpected keyword first, then missing positional arguments (CPython's order). */
export function checkCall(classType: string, inputs: Map<string, InputValue>): void {
  const fn = FUNCTIONS[classType] ?? CUSTOM_NODES[classType]?.call;
  if (!fn) throw new PyException('NotImplementedError', `sim/comfyui cannot execute ${classType}`);
  const unexpected = [...inputs.keys()].find((k) => !fn.params.includes(k));
  if (unexpected !== undefined) throw new PyException('TypeError', `${fn.name}() got an unexpected keyword argument '${unexpected}'`);
  const missing = fn.params.slice(0, fn.required).filter((p) => !inputs.has(p)).map((p) => `'${p}'`);
  if (missing.length === 0) return;
  const list = missing.length === 1 ? missing[0] : missing.length === 2 ? missing.join(' and ') : `${missing.slice(0, -1).join(', ')}, and ${missing.at(-1)}`;
  throw new PyException('TypeError', `${fn.name}() missing ${missing.length} required positional argument${missing.length > 1 ? 's' : ''}: ${list}`);
}

/** `format_value` for `current_inputs`: scalars as they are, anything else as `str(x)`. */
export function formatValue(v: InputValue, describe: (obj: object) => string): Loose {
  if (v === null || v === undefined) return null;
  if (typeof v === 'boolean' || typeof v === 'string' || typeof v === 'bigint' || v instanceof PyFloat) return v;
  if (Array.isArray(v) || isDict(v)) return str(v as PyValue);
  return describe(v as object);
}
