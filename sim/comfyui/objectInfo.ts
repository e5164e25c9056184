import { readFileSync } from 'node:fs';
import { deepCopy, isDict, loads, type PyDict, type PyValue } from './pyjson.ts';
import { addCustomNodes } from './custom-nodes.ts';
import type { ModelRegistry } from './models.ts';
import { upscaleModelNodes } from './upscale-model-nodes.ts';

export type ObjectInfoVersion = 'default' | 'newer';

const FILES: Record<ObjectInfoVersion, URL> = {
  default: new URL('./data/object_info.json', import.meta.url),
  newer: new URL('./data/object_info.newer.json', import.meta.url),
};

const loaded = new Map<ObjectInfoVersion, PyDict>();

/** The recorded object_info (parsed once, never mutated). */
export function baseObjectInfo(version: ObjectInfoVersion): PyDict {
  let info = loaded.get(version);
  if (!info) {
    info = loads(readFileSync(FILES[version], 'utf8')) as PyDict;
    loaded.set(version, info);
  }
  return info;
}

const APPROX_VAES = ['taesd', 'taesdxl', 'taesd3', 'taef1'];

/** `VAELoader.vae_list()`: vae files, TAESD variants whose two halves exist, then `pixel_space`. */
export function vaeList(models: ModelRegistry): string[] {
  const approx = models.list('vae_approx') ?? [];
  const extra = APPROX_VAES.filter((name) => approx.some((f) => f.startsWith(`${name}_decoder.`)) && approx.some((f) => f.startsWith(`${name}_encoder.`)));
  return [...(models.list('vae') ?? []), ...extra, 'pixel_space'];
}

function setCombo(info: PyDict, classType: string, inputName: string, values: string[]): void {
  const node = info.get(classType);
  if (!isDict(node)) return;
  const input = node.get('input');
  if (!isDict(input)) return;
  for (const section of ['required', 'optional']) {
    const spec = (input.get(section) as PyDict | undefined)?.get(inputName);
    if (Array.isArray(spec) && Array.isArray(spec[0])) spec[0] = [...values];
  }
}

/** object_info as a request would see it now: model combos from the installed files, LoadImage from the input dir. */
export function currentObjectInfo(version: ObjectInfoVersion, models: ModelRegistry, inputImages: string[], customNodes: readonly string[] = []): PyDict {
  const info = addCustomNodes(deepCopy(baseObjectInfo(version)), customNodes);
  const checkpoints = models.list('checkpoints') ?? [];
  const loras = models.list('loras') ?? [];
  setCombo(info, 'CheckpointLoaderSimple', 'ckpt_name', checkpoints);
  setCombo(info, 'LoraLoader', 'lora_name', loras);
  setCombo(info, 'LoraLoaderModelOnly', 'lora_name', loras);
  setCombo(info, 'VAELoader', 'vae_name', vaeList(models));
  setCombo(info, 'LoadImage', 'image', inputImages);
  const upscaleModels = models.list('upscale_models') ?? [];
  if (upscaleModels.length) for (const [name, def] of upscaleModelNodes(version, upscaleModels)) info.set(name, def);
  return info;
}

/** Helpers to read a node definition. */
export interface NodeDef {
  classType: string;
  required: PyDict;
  optional: PyDict;
  hidden: PyDict;
  outputs: PyValue[];
  isOutput: boolean;
}

export function nodeDef(info: PyDict, classType: string): NodeDef | undefined {
  const node = info.get(classType);
  if (!isDict(node)) return undefined;
  const input = node.get('input') as PyDict;
  return {
    classType,
    required: (input.get('required') as PyDict | undefined) ?? new Map(),
    optional: (input.get('optional') as PyDict | undefined) ?? new Map(),
    hidden: (input.get('hidden') as PyDict | undefined) ?? new Map(),
    outputs: (node.get('output') as PyValue[] | undefined) ?? [],
    isOutput: node.get('output_node') === true,
  };
}
