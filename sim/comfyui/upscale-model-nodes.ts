/**
 * `comfy_extras/nodes_upscale_model.py`: UpscaleModelLoader and ImageUpscaleWithModel. The recorded
 * object_info (a transcription of the core nodes) lacks them; the stand-in lists them once a file
 * sits in `models/upscale_models`, with the combo form each version writes (0.38's V3 nodes use
 * `["COMBO", {"options": …}]`).
 */
import { loads, type PyDict } from './pyjson.ts';
import type { ObjectInfoVersion } from './objectInfo.ts';

export function upscaleModelNodes(version: ObjectInfoVersion, files: string[]): PyDict {
  const combo = version === 'newer' ? ['COMBO', { options: files }] : [files];
  return loads(JSON.stringify({
    UpscaleModelLoader: {
      input: { required: { model_name: combo } }, input_order: { required: ['model_name'] },
      output: ['UPSCALE_MODEL'], output_is_list: [false], output_name: ['UPSCALE_MODEL'], name: 'UpscaleModelLoader',
      display_name: 'Load Upscale Model', description: '', python_module: 'comfy_extras.nodes_upscale_model', category: 'loaders', output_node: false,
    },
    ImageUpscaleWithModel: {
      input: { required: { upscale_model: ['UPSCALE_MODEL'], image: ['IMAGE'] } }, input_order: { required: ['upscale_model', 'image'] },
      output: ['IMAGE'], output_is_list: [false], output_name: ['IMAGE'], name: 'ImageUpscaleWithModel',
      display_name: 'Upscale Image (using Model)', description: '', python_module: 'comfy_extras.nodes_upscale_model', category: 'image/upscaling', output_node: false,
    },
  })) as PyDict;
}

/** The model's scale, as spandrel reads it from the weights; here from the usual `4x…`/`2x…` name. */
export function upscaleScale(file: string): number {
  const match = /(?:^|[/_-])(\d)x/i.exec(file);
  return match ? Number(match[1]) : 4;
}
