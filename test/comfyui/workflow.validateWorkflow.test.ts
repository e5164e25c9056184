import { describe, expect, it } from 'vitest';
import { assertWorkflowValid, buildTxt2Img, validateWorkflow, type PromptGraph } from '#shared/comfyui/index.ts';
import { loadObjectInfo, txt2imgParams } from './fixtures.ts';

const info = loadObjectInfo();

function idOf(g: PromptGraph, classType: string): string {
  return Object.keys(g).find((id) => g[id]!.class_type === classType)!;
}

describe('validateWorkflow', () => {
  it('accepts the built txt2img graph', () => {
    expect(validateWorkflow(buildTxt2Img(txt2imgParams({ seed: '18446744073709551615' })), info)).toEqual([]);
  });

  it('reports an unknown checkpoint with the node, the input and what to change', () => {
    const g = buildTxt2Img(txt2imgParams({ checkpoint: 'missing.safetensors' }));
    const problems = validateWorkflow(g, info);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ nodeId: idOf(g, 'CheckpointLoaderSimple'), classType: 'CheckpointLoaderSimple', input: 'ckpt_name', code: 'value_not_in_list' });
    expect(problems[0]!.message).toMatch(/^CheckpointLoaderSimple \(node 1\) input 'ckpt_name': value 'missing.safetensors' is not available/);
    expect(problems[0]!.message).toContain("'sd_xl_base_1.0.safetensors'");
    expect(problems[0]!.message).toMatch(/install it or choose an installed one/);
  });

  it('reports an unknown LoRA and sampler', () => {
    const g = buildTxt2Img(txt2imgParams({ sampler: 'euler_b', loras: [{ name: 'nope.safetensors', strengthModel: 1, strengthClip: 0 }] }));
    const problems = validateWorkflow(g, info);
    expect(problems.map((p) => [p.classType, p.input, p.code])).toEqual([
      ['LoraLoaderModelOnly', 'lora_name', 'value_not_in_list'],
      ['KSampler', 'sampler_name', 'value_not_in_list'],
    ]);
  });

  it('checks INT/FLOAT ranges, the seed as a BigInt', () => {
    const g = buildTxt2Img(txt2imgParams({ cfg: 150, steps: 0, width: 8 }));
    const ks = idOf(g, 'KSampler');
    g[ks]!.inputs.seed = 18446744073709551616n;
    const messages = validateWorkflow(g, info).map((p) => p.message);
    expect(messages).toEqual(
      expect.arrayContaining([
        `KSampler (node ${ks}) input 'cfg': value 150 is above the maximum 100 — lower it`,
        `KSampler (node ${ks}) input 'steps': value 0 is below the minimum 1 — raise it`,
        `KSampler (node ${ks}) input 'seed': value 18446744073709551616 is above the maximum 18446744073709551615 — lower it`,
        `EmptyLatentImage (node ${idOf(g, 'EmptyLatentImage')}) input 'width': value 8 is below the minimum 16 — raise it`,
      ]),
    );
    expect(messages).toHaveLength(4);
  });

  it('reports wrong literal types and coerces like ComfyUI does', () => {
    const g = buildTxt2Img(txt2imgParams());
    const ks = idOf(g, 'KSampler');
    g[ks]!.inputs.steps = '5.5';
    g[ks]!.inputs.cfg = 'high';
    g[idOf(g, 'EmptyLatentImage')]!.inputs.batch_size = '2'; // int("2") passes
    g[ks]!.inputs.denoise = true; // float(True) == 1.0 passes
    const problems = validateWorkflow(g, info);
    expect(problems.map((p) => [p.input, p.code])).toEqual([
      ['steps', 'invalid_input_type'],
      ['cfg', 'invalid_input_type'],
    ]);
    expect(problems[0]!.message).toBe(`KSampler (node ${ks}) input 'steps': value '5.5' cannot be read as INT — send a whole number`);
  });

  it('checks links: missing node, bad slot, wrong output type, literal instead of link', () => {
    const g = buildTxt2Img(txt2imgParams());
    const ks = idOf(g, 'KSampler');
    const ckpt = idOf(g, 'CheckpointLoaderSimple');
    const latent = idOf(g, 'EmptyLatentImage');
    g[ks]!.inputs.model = [ckpt, 1]; // CLIP into MODEL
    g[ks]!.inputs.positive = ['99', 0];
    g[ks]!.inputs.latent_image = [latent, 3];
    g[idOf(g, 'VAEDecode')]!.inputs.vae = 'sdxl_vae.safetensors';
    const byInput = Object.fromEntries(validateWorkflow(g, info).map((p) => [p.input, p]));
    expect(byInput.model!.code).toBe('return_type_mismatch');
    expect(byInput.model!.message).toContain(`linked to an output of type CLIP of node ${ckpt} but expects MODEL — link an output of type MODEL`);
    expect(byInput.positive!.code).toBe('link_to_missing_node');
    expect(byInput.latent_image!.message).toContain('which has 1 output(s) — use an index from 0 to 0');
    expect(byInput.vae!.code).toBe('link_expected');
  });

  it('reports missing required inputs, unknown classes and graphs without outputs', () => {
    const g = buildTxt2Img(txt2imgParams());
    delete g[idOf(g, 'KSampler')]!.inputs.steps;
    expect(validateWorkflow(g, info)).toEqual([
      expect.objectContaining({ input: 'steps', code: 'required_input_missing', message: expect.stringContaining('required input is missing') }),
    ]);

    const unknown = { ...buildTxt2Img(txt2imgParams()), '50': { class_type: 'FancyUpscaler', inputs: {} } };
    expect(validateWorkflow(unknown, info)).toEqual([
      expect.objectContaining({ nodeId: '50', code: 'missing_node_type', message: expect.stringContaining("node type 'FancyUpscaler' does not exist") }),
    ]);

    const noSave = buildTxt2Img(txt2imgParams());
    delete noSave[idOf(noSave, 'SaveImage')];
    expect(validateWorkflow(noSave, info).map((p) => p.code)).toEqual(['prompt_no_outputs']);
  });

  it('ignores problems in nodes no output depends on, like ComfyUI', () => {
    const g: PromptGraph = { ...buildTxt2Img(txt2imgParams()), '60': { class_type: 'EmptyLatentImage', inputs: { width: 1, height: 1, batch_size: 1 } } };
    expect(validateWorkflow(g, info)).toEqual([]);
  });

  it('reports a dependency cycle instead of recursing forever', () => {
    const g: PromptGraph = {
      '1': { class_type: 'VAEDecode', inputs: { samples: ['2', 0], vae: ['3', 2] } },
      '2': { class_type: 'VAEEncode', inputs: { pixels: ['1', 0], vae: ['3', 2] } },
      '3': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'dreamshaper_8.safetensors' } },
      '4': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'x' } },
    };
    const problems = validateWorkflow(g, info);
    expect(problems.map((p) => p.code)).toEqual(['dependency_cycle']);
    expect(problems[0]!.message).toMatch(/VAEDecode \(1\) -> VAEEncode \(2\) -> VAEDecode \(1\)/);
  });
});

describe('assertWorkflowValid', () => {
  it('throws a comfy_validation AppError listing every problem', () => {
    const g = buildTxt2Img(txt2imgParams({ cfg: 150, checkpoint: 'x.safetensors' }));
    expect(() => assertWorkflowValid(buildTxt2Img(txt2imgParams()), info)).not.toThrow();
    try {
      assertWorkflowValid(g, info);
      expect.unreachable();
    } catch (err) {
      expect(err).toMatchObject({ code: 'comfy_validation', status: 400 });
      expect((err as Error).message).toMatch(/ckpt_name.*; KSampler \(node \d+\) input 'cfg': value 150 is above the maximum 100/);
      expect((err as { details: { problems: unknown[] } }).details.problems).toHaveLength(2);
    }
  });
});

describe('validateWorkflow against the NEWER object_info', () => {
  it('accepts the same txt2img graph and still checks ranges', () => {
    const newer = loadObjectInfo('/work/shared/comfyui/object_info.newer.json');
    const g = buildTxt2Img(txt2imgParams({ seed: '18446744073709551615', loras: [{ name: 'add_detail.safetensors', strengthModel: 1, strengthClip: 0 }] }));
    expect(validateWorkflow(g, newer)).toEqual([]);
    expect(validateWorkflow(buildTxt2Img(txt2imgParams({ denoise: 1.5 })), newer).map((p) => p.input)).toEqual(['denoise']);
  });
});
