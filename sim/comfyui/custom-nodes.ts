/**
 * Custom nodes an instance can be started with (`customNodes`): what a node pack under `custom_nodes/`
 * adds to ComfyUI — an object_info entry (its `python_module` names the pack), the Python function
 * `execute()` calls, and what it computes. Only the instances started with it list or run it.
 */
import { fingerprintOf } from './images.ts';
import { num, sym, type NodeFn, type Sym } from './nodes.ts';
import { loads, type PyDict } from './pyjson.ts';

interface CustomNode {
  /** `GET /object_info` entry, as the pack's INPUT_TYPES/RETURN_TYPES produce it. */
  objectInfo: string;
  call: { name: string; params: string[]; required: number };
  run: NodeFn;
}

export const CUSTOM_NODES: Record<string, CustomNode> = {
  SimImageTint: {
    objectInfo: `{"input": {"required": {"image": ["IMAGE"], "strength": ["FLOAT", {"default": 0.5, "min": 0.0, "max": 1.0, "step": 0.01}]}},
      "input_order": {"required": ["image", "strength"]}, "output": ["IMAGE"], "output_is_list": [false], "output_name": ["IMAGE"],
      "name": "SimImageTint", "display_name": "Image Tint (sim)", "description": "Tints an image (a stand-in custom node).",
      "python_module": "custom_nodes.ComfyUI-SimTint", "category": "image/postprocessing", "output_node": false}`,
    call: { name: 'SimImageTint.tint', params: ['image', 'strength'], required: 2 },
    run: async (i) => {
      const image: Sym = sym(i.get('image'));
      const strength = num(i.get('strength'));
      const items = (image.items ?? []).map((fp) => fingerprintOf(['tint', fp, strength]));
      return { outputs: [{ ...image, items, desc: `tint:${strength}:${image.desc}` } satisfies Sym] };
    },
  },
};

export function isCustomNode(name: string): boolean {
  return Object.hasOwn(CUSTOM_NODES, name);
}

/** Adds the given custom nodes' entries to an object_info (after the core nodes, as ComfyUI loads packs last). */
export function addCustomNodes(info: PyDict, names: readonly string[]): PyDict {
  for (const name of names) info.set(name, loads(CUSTOM_NODES[name]!.objectInfo));
  return info;
}
