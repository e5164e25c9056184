import { describe, expect, it } from 'vitest';
import { buildFromTemplate, checkTemplate, templateNodeClasses, validateWorkflow, type OperatorTemplateParams } from '#shared/comfyui/workflow/index.ts';
import { exportedTxt2Img, exportedTxt2ImgBindings, exportedWithCustomNode } from '../support/workflow-template-fixture.ts';
import { loadObjectInfo } from './fixtures.ts';

const info = loadObjectInfo();

const params = (over: Partial<OperatorTemplateParams> = {}): OperatorTemplateParams => ({
  prompt: 'a fox in the snow', negativePrompt: 'blurry', seed: '18446744073709551615', steps: 12, cfg: 5.5, width: 768, height: 512, batchSize: 2,
  sampler: 'dpmpp_2m', scheduler: 'karras', checkpoint: 'sd_xl_base_1.0.safetensors', denoise: 1, loras: [], filenamePrefix: 'genonaut/x', ...over,
});

describe('checkTemplate', () => {
  it('accepts ComfyUI\'s exported default workflow with every binding', () => {
    expect(checkTemplate(exportedTxt2Img(), exportedTxt2ImgBindings(), info)).toEqual([]);
  });

  it('accepts a bound checkpoint the instance does not have (it is filled per generation)', () => {
    const g = exportedTxt2Img();
    g['4']!.inputs.ckpt_name = 'only-on-my-pc.safetensors';
    expect(checkTemplate(g, exportedTxt2ImgBindings(), info)).toEqual([]);
  });

  it('refuses an unknown class, naming the node and class', () => {
    const problems = checkTemplate(exportedWithCustomNode(), exportedTxt2ImgBindings(), info);
    expect(problems).toEqual([expect.objectContaining({ nodeId: '10', classType: 'SimImageTint', code: 'missing_node_type' })]);
  });

  it('refuses bindings to a missing node, an unknown input, a wrong type and a linked input', () => {
    const b = {
      ...exportedTxt2ImgBindings(),
      negative: { node: '77', input: 'text' },
      steps: { node: '3', input: 'stepz' },
      cfg: { node: '3', input: 'steps' },
      width: { node: '8', input: 'samples' },
      loras: { model: { node: '4', output: 1 } },
    };
    const problems = checkTemplate(exportedTxt2Img(), b, info);
    expect(problems.map((p) => [p.binding, p.nodeId, p.classType, p.input, p.code])).toEqual([
      ['negative', '77', undefined, 'text', 'binding_node_missing'],
      ['steps', '3', 'KSampler', 'stepz', 'binding_input_unknown'],
      ['cfg', '3', 'KSampler', 'steps', 'binding_type_mismatch'],
      ['width', '8', 'VAEDecode', 'samples', 'binding_type_mismatch'],
      ['loras.model', '4', 'CheckpointLoaderSimple', undefined, 'binding_type_mismatch'],
    ]);
    expect(problems[2]!.message).toBe("binding 'cfg': KSampler (node 3) input 'steps' takes INT, but 'cfg' is FLOAT — bind an input of type FLOAT");
  });

  it('still reports the workflow\'s own problems on unbound inputs', () => {
    const g = exportedTxt2Img();
    g['5']!.inputs.width = 3;
    const b = exportedTxt2ImgBindings();
    delete b.width;
    expect(checkTemplate(g, b, info).map((p) => [p.nodeId, p.input, p.code])).toEqual([['5', 'width', 'value_smaller_than_min']]);
  });

  it('lists the classes a template uses', () => {
    expect(templateNodeClasses(exportedWithCustomNode())).toEqual(['CLIPTextEncode', 'CheckpointLoaderSimple', 'EmptyLatentImage', 'KSampler', 'SaveImage', 'SimImageTint', 'VAEDecode']);
  });
});

describe('buildFromTemplate', () => {
  it('fills every binding and the filename prefix, leaving the upload untouched', () => {
    const template = exportedTxt2Img();
    const g = buildFromTemplate(template, exportedTxt2ImgBindings(), params());
    expect(g['6']!.inputs.text).toBe('a fox in the snow');
    expect(g['7']!.inputs.text).toBe('blurry');
    expect(g['3']!.inputs).toMatchObject({ seed: 18446744073709551615n, steps: 12, cfg: 5.5, sampler_name: 'dpmpp_2m', scheduler: 'karras', denoise: 1 });
    expect(g['5']!.inputs).toEqual({ width: 768, height: 512, batch_size: 2 });
    expect(g['4']!.inputs.ckpt_name).toBe('sd_xl_base_1.0.safetensors');
    expect(g['9']!.inputs.filename_prefix).toBe('genonaut/x');
    expect(template['6']!.inputs.text).toMatch(/galaxy bottle/);
    expect(validateWorkflow(g, info)).toEqual([]);
  });

  it('inserts the LoRA chain after the bound outputs and relinks every consumer', () => {
    const g = buildFromTemplate(exportedTxt2Img(), exportedTxt2ImgBindings(), params({
      loras: [{ name: 'add_detail.safetensors', strengthModel: 0.8, strengthClip: 0.6 }, { name: 'lcm-lora-sdv1-5.safetensors', strengthModel: 1, strengthClip: 0 }],
    }));
    expect(g['10']).toEqual({ class_type: 'LoraLoader', inputs: { model: ['4', 0], clip: ['4', 1], lora_name: 'add_detail.safetensors', strength_model: 0.8, strength_clip: 0.6 } });
    expect(g['11']).toEqual({ class_type: 'LoraLoaderModelOnly', inputs: { model: ['10', 0], lora_name: 'lcm-lora-sdv1-5.safetensors', strength_model: 1 } });
    expect(g['3']!.inputs.model).toEqual(['11', 0]);
    expect(g['6']!.inputs.clip).toEqual(['10', 1]);
    expect(g['7']!.inputs.clip).toEqual(['10', 1]);
    expect(g['8']!.inputs.vae).toEqual(['4', 2]);
    expect(validateWorkflow(g, info)).toEqual([]);
  });

  it('without a LoRA binding, LoRAs are not inserted; unbound values keep the upload\'s', () => {
    const b = exportedTxt2ImgBindings();
    delete b.loras;
    delete b.steps;
    const g = buildFromTemplate(exportedTxt2Img(), b, params({ loras: [{ name: 'add_detail.safetensors', strengthModel: 1, strengthClip: 1 }] }));
    expect(Object.keys(g)).toHaveLength(7);
    expect(g['3']!.inputs.steps).toBe(20);
  });
});
