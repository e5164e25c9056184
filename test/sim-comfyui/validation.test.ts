import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startComfySim, type ComfySim } from '#sim/comfyui/index.ts';
import { getJson, postPrompt, txt2img } from './helpers.ts';

let sim: ComfySim;
beforeAll(async () => {
  sim = await startComfySim({ objectInfo: 'default' });
  sim.pause(); // keep queued prompts pending so /queue shows what was stored
});
afterAll(() => sim.close());

type NodeErr = { errors: { type: string; message: string; details: string; extra_info: Record<string, unknown> }[]; dependent_outputs: string[]; class_type: string };

describe('§3.1/§4 POST /prompt validation', () => {
  it('§3.1 POST /prompt without prompt answers 400 no_prompt', async () => {
    const res = await fetch(`${sim.url}/prompt`, { method: 'POST', body: '{"client_id": "x"}' });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: { type: 'no_prompt', message: 'No prompt provided', details: 'No prompt provided', extra_info: {} }, node_errors: {} });
  });

  it('§1 malformed JSON and §11.5 {"prompt": null} are 500', async () => {
    expect((await fetch(`${sim.url}/prompt`, { method: 'POST', body: '{nope' })).status).toBe(500);
    expect((await fetch(`${sim.url}/prompt`, { method: 'POST', body: '{"prompt": null}' })).status).toBe(500);
  });

  it('§3.1 POST /prompt rejects missing required input with node_errors (§4.3 shape, Python float formatting)', async () => {
    const prompt = txt2img().replace('"steps": 3, "cfg": 7,', '"cfg": 150,');
    const { status, body, text } = await postPrompt(sim, prompt);
    expect(status).toBe(400);
    expect(body.error).toEqual({ type: 'prompt_outputs_failed_validation', message: 'Prompt outputs failed validation', details: '', extra_info: {} });
    const err = (body.node_errors as Record<string, NodeErr>)['3']!;
    expect(err.class_type).toBe('KSampler');
    expect(err.dependent_outputs).toEqual(['9']);
    expect(err.errors).toContainEqual({ type: 'required_input_missing', message: 'Required input is missing', details: 'steps', extra_info: { input_name: 'steps' } });
    expect(err.errors.find((e) => e.type === 'value_bigger_than_max')!.message).toBe('Value 150.0 bigger than max of 100.0');
    expect(text).toContain('"received_value": 150.0');
    expect(text).toContain('"default": 8.0, "min": 0.0, "max": 100.0');
  });

  it('§3.1 value_not_in_list names the installed checkpoints in Python list repr', async () => {
    const { status, body } = await postPrompt(sim, txt2img({ ckpt: 'missing.safetensors' }));
    expect(status).toBe(400);
    const e = (body.node_errors as Record<string, NodeErr>)['4']!.errors[0]!;
    expect(e.type).toBe('value_not_in_list');
    expect(e.details).toBe("ckpt_name: 'missing.safetensors' not in ['SDXL/juggernautXL_v9.safetensors', 'dreamshaper_8.safetensors', 'sd_xl_base_1.0.safetensors', 'v1-5-pruned-emaonly.safetensors']");
    expect(e.extra_info.received_value).toBe('missing.safetensors');
    expect((e.extra_info.input_config as unknown[])[1]).toEqual({ tooltip: 'The name of the checkpoint (model) to load.' });
  });

  it('§4.2 coercion is written back into the queued prompt; unreachable nodes stay as sent (§11.2)', async () => {
    const prompt = txt2img().replace('"seed": 42', '"seed": "42"').replace('"width": 64', '"width": 64.9')
      .replace(/\n}$/, ',\n  "99": {"class_type": "EmptyLatentImage", "inputs": {"width": "99999", "height": 8, "batch_size": 1}}\n}');
    const { status, body } = await postPrompt(sim, prompt);
    expect(status).toBe(200);
    expect(body.node_errors).toEqual({});
    const raw = await (await fetch(`${sim.url}/queue`)).text();
    const start = raw.indexOf(body.prompt_id as string);
    const stored = raw.slice(start, start + 3000);
    expect(stored).toContain('"seed": 42,');
    expect(stored).toContain('"cfg": 7.0');
    expect(stored).toContain('"width": 64,');
    expect(stored).toContain('"width": "99999"');
  });

  it('§11.4 true for an INT becomes 1; null for an INT is invalid_input_type', async () => {
    const ok = await postPrompt(sim, txt2img().replace('"batch_size": 1', '"batch_size": true'));
    expect(ok.status).toBe(200);
    const bad = await postPrompt(sim, txt2img().replace('"batch_size": 1', '"batch_size": null'));
    expect(bad.status).toBe(400);
    const e = (bad.body.node_errors as Record<string, NodeErr>)['5']!.errors[0]!;
    expect(e.type).toBe('invalid_input_type');
    expect(e.message).toBe('Failed to convert an input value to a INT value');
    expect(e.details).toBe("batch_size, None, int() argument must be a string, a bytes-like object or a real number, not 'NoneType'");
  });

  it('§11.7 seed 2^64 is value_bigger_than_max; 2^64-1 passes and is stored exactly', async () => {
    const big = await postPrompt(sim, txt2img({ seed: '18446744073709551616' }));
    expect(big.status).toBe(400);
    expect((big.body.node_errors as Record<string, NodeErr>)['3']!.errors[0]!.type).toBe('value_bigger_than_max');
    const max = await postPrompt(sim, txt2img({ seed: '18446744073709551615' }));
    expect(max.status).toBe(200);
    expect(await (await fetch(`${sim.url}/queue`)).text()).toContain('"seed": 18446744073709551615');
  });

  it('§4.1 unknown class and missing class_type are invalid_prompt, first bad node in document order (§11.6)', async () => {
    const { status, body } = await postPrompt(sim, '{"10": {"inputs": {}}, "2": {"class_type": "Nope", "inputs": {}}}');
    expect(status).toBe(400);
    expect(body).toEqual({ error: { type: 'invalid_prompt', message: 'Cannot execute because a node is missing the class_type property.', details: "Node ID '#10'", extra_info: {} }, node_errors: {} });
    const unknown = await postPrompt(sim, '{"2": {"class_type": "Nope", "inputs": {}}}');
    expect((unknown.body.error as { message: string }).message).toBe('Cannot execute because node Nope does not exist.');
  });

  it('§4.1 prompt without output node is prompt_no_outputs; partial_execution_targets [] too', async () => {
    const none = await postPrompt(sim, '{"5": {"class_type": "EmptyLatentImage", "inputs": {"width": 64, "height": 64, "batch_size": 1}}}');
    expect(none.body.error).toEqual({ type: 'prompt_no_outputs', message: 'Prompt has no outputs', details: '', extra_info: {} });
    const empty = await postPrompt(sim, txt2img(), { partial_execution_targets: [] });
    expect((empty.body.error as { type: string }).type).toBe('prompt_no_outputs');
  });

  it('§4.2 dangling link is exception_during_validation on the output node; §11.1 [TYPE, {}] input_config', async () => {
    const dangling = await postPrompt(sim, txt2img().replace('"images": ["8", 0]', '"images": ["99", 0]'));
    expect(dangling.status).toBe(400);
    const e = (dangling.body.node_errors as Record<string, NodeErr>)['9']!.errors[0]!;
    expect(e).toMatchObject({ type: 'exception_during_validation', message: 'Exception when validating node', details: "'99'" });
    expect(e.extra_info.exception_type).toBe('KeyError');
    expect((dangling.body.error as { details: string }).details).toBe("Exception when validating node: '99'");
    const vae = await postPrompt(sim, txt2img().replace('"vae": ["4", 2]', '"vae": ["11", 0]').replace(/\n}$/, ',\n  "11": {"class_type": "VAELoader", "inputs": {"vae_name": "nope.safetensors"}}\n}'));
    const ve = (vae.body.node_errors as Record<string, NodeErr>)['11']!.errors[0]!;
    expect(ve.extra_info.input_config).toEqual([['sdxl_vae.safetensors', 'vae-ft-mse-840000-ema-pruned.safetensors', 'pixel_space'], {}]);
  });

  it('§4.2 return_type_mismatch for a link of the wrong type', async () => {
    const { body } = await postPrompt(sim, txt2img().replace('"samples": ["3", 0]', '"samples": ["4", 0]'));
    const e = (body.node_errors as Record<string, NodeErr>)['8']!.errors[0]!;
    expect(e.type).toBe('return_type_mismatch');
    expect(e.details).toBe('samples, received_type(MODEL) mismatch input_type(LATENT)');
  });

  it('§3.1 200 may carry node_errors when one output of two validated', async () => {
    const prompt = txt2img().replace(/\n}$/, ',\n  "20": {"class_type": "SaveImage", "inputs": {"filename_prefix": "x"}}\n}');
    const { status, body } = await postPrompt(sim, prompt);
    expect(status).toBe(200);
    expect((body.node_errors as Record<string, NodeErr>)['20']!.errors[0]!.type).toBe('required_input_missing');
  });

  it('§3.1 counter increments before validation; front is negative; number is a float; prompt_id honoured ("None" for null)', async () => {
    const a = await postPrompt(sim, txt2img());
    await postPrompt(sim, '{}');
    const b = await postPrompt(sim, txt2img());
    expect(b.body.number).toBe((a.body.number as number) + 2);
    const front = await postPrompt(sim, txt2img(), { front: true });
    expect(front.body.number).toBe(-((b.body.number as number) + 1));
    const explicit = await postPrompt(sim, txt2img(), { number: 5, prompt_id: 'my-id' });
    expect(explicit.text).toContain('"prompt_id": "my-id", "number": 5.0');
    const nulled = await postPrompt(sim, txt2img(), { prompt_id: null });
    expect(nulled.body.prompt_id).toBe('None');
  });

  it('§9 newer server rejects a non-UUID prompt_id with invalid_prompt_id', async () => {
    const newer = await startComfySim({ objectInfo: 'newer' });
    try {
      newer.pause();
      const bad = await postPrompt(newer, txt2img(), { prompt_id: 'not-a-uuid' });
      expect(bad.status).toBe(400);
      expect((bad.body.error as { type: string }).type).toBe('invalid_prompt_id');
      const id = '3f1c7a52-8f0e-4c6e-9d0a-5b1f1d2a9e11';
      expect((await postPrompt(newer, txt2img(), { prompt_id: id })).body.prompt_id).toBe(id);
      expect(((await getJson(newer, '/object_info/SaveImage')) as Record<string, { output: string[] }>).SaveImage!.output).toEqual(['IMAGE']);
    } finally {
      await newer.close();
    }
  });
});
