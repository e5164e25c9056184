import { describe, expect, it } from 'vitest';
import { buildTxt2Img, comboValues, validateWorkflow, type InputSpec, type ObjectInfo } from '#shared/comfyui/index.ts';
import { fetchInventory } from '#shared/comfyui/discovery/inventory.ts';
import { loadObjectInfo, txt2imgParams } from './fixtures.ts';

/** Newer ComfyUI's V3 nodes declare combos as `["COMBO", {"options": [...]}]` (API.md §3.10, §9): rewrite every combo that way. */
function asV3Combos(info: ObjectInfo): ObjectInfo {
  const copy = structuredClone(info);
  for (const node of Object.values(copy)) {
    for (const section of [node.input.required, node.input.optional]) {
      for (const [name, spec] of Object.entries(section ?? {})) {
        if (Array.isArray(spec[0])) section![name] = ['COMBO', { ...(spec[1] ?? {}), options: spec[0] }] as InputSpec;
      }
    }
  }
  return copy;
}

const v3 = asV3Combos(loadObjectInfo('/work/shared/comfyui/object_info.newer.json'));

describe('["COMBO", {options}] inputs', () => {
  it('are read as combos', () => {
    expect(comboValues(v3.KSampler!.input.required!.sampler_name!)).toContain('euler');
    expect(comboValues(['COMBO', {}])).toBeUndefined();
    expect(comboValues(['INT', { min: 0 }])).toBeUndefined();
  });

  it('validate a workflow like list combos do', () => {
    const checkpoint = comboValues(v3.CheckpointLoaderSimple!.input.required!.ckpt_name!)![0] as string;
    expect(validateWorkflow(buildTxt2Img(txt2imgParams({ checkpoint })), v3)).toEqual([]);
    const problems = validateWorkflow(buildTxt2Img(txt2imgParams({ checkpoint, sampler: 'euler_b' })), v3);
    expect(problems.map((p) => [p.classType, p.input, p.code])).toEqual([['KSampler', 'sampler_name', 'value_not_in_list']]);
    expect(problems[0]!.message).toContain("'euler'");
  });

  it('list the model files a loader offers during discovery', async () => {
    const info = structuredClone(v3);
    info.CheckpointLoaderSimple!.input.required!.ckpt_name = ['COMBO', { options: ['v3-only.safetensors'] }];
    const inventory = await fetchInventory({ objectInfo: () => Promise.resolve(info), models: () => Promise.resolve([]) });
    expect(inventory.checkpoint).toEqual(['v3-only.safetensors']);
  });
});
