import { describe, expect, test } from 'vitest';
import { classifyExecutionError } from '#shared/comfyui/classify-error.ts';
import { ComfyValidationError } from '#shared/comfyui/validation-error.ts';
import { failureText } from '#shared/render/failure-text.ts';

// The rows' error messages as the scheduler writes them (from the real classifiers where there is
// one); what the member reads must say what to change and carry none of the technical detail.
const oom = classifyExecutionError({ prompt_id: 'p', node_id: '3', node_type: 'KSampler', exception_type: 'torch.OutOfMemoryError', exception_message: 'CUDA out of memory. Tried to allocate 2.00 GiB', traceback: [], current_inputs: {}, current_outputs: {}, executed: [], timestamp: 0 } as never);
const missing = classifyExecutionError({ prompt_id: 'p', node_id: '4', node_type: 'CheckpointLoaderSimple', exception_type: 'FileNotFoundError', exception_message: "Model in folder 'checkpoints' with filename 'gone.safetensors' not found.", traceback: [], current_inputs: {}, current_outputs: {}, executed: [], timestamp: 0 } as never);
const crashed = classifyExecutionError({ prompt_id: 'p', node_id: '8', node_type: 'VAEDecode', exception_type: 'RuntimeError', exception_message: 'Sizes of tensors must match', traceback: [], current_inputs: {}, current_outputs: {}, executed: [], timestamp: 0 } as never);
const rejected = (input: string, type: string, value: unknown, extra: Record<string, unknown> = {}) =>
  new ComfyValidationError({ node_errors: { 3: { class_type: 'KSampler', dependent_outputs: [], errors: [{ type, message: 'x', details: '', extra_info: { input_name: input, received_value: value, ...extra } }] } } } as never).message;

const technical = /node \d|\(node|KSampler|CheckpointLoader|VAEDecode|Exception|Error\b|torch|CUDA|\btensors|ComfyUI|folder/;

const cases: [string, string, string, RegExp][] = [
  ['out of memory', oom.code, oom.message, /ran out of GPU memory\. Try a smaller size, a smaller batch or fewer LoRAs\./],
  ['missing model (at run time)', missing.code, missing.message, /^The model gone\.safetensors is not installed .* Pick another model/],
  ['missing model (no server has it)', 'model_missing', 'No image server has a.safetensors + b.safetensors. Pick another model or ask an operator to install it.', /^No image server has a\.safetensors \+ b\.safetensors\. Pick another model/],
  ['a model name the server does not list', 'comfy_validation', rejected('ckpt_name', 'value_not_in_list', 'gone.safetensors', { input_config: [['a.safetensors']] }), /^The model gone\.safetensors is not installed/],
  ['an option above its maximum', 'comfy_validation', rejected('cfg', 'value_bigger_than_max', 150, { input_config: ['FLOAT', { max: 100 }] }), /^The image server did not accept `cfg` = 150: it is above the maximum 100\. Change `cfg` and try again\.$/],
  ['an option the server cannot read', 'comfy_validation', rejected('denoise', 'invalid_input_type', 'abc'), /Leave out the unusual options .* and try again/],
  ['timeout', 'timeout', 'This took too long and was stopped. Try fewer steps, a smaller size or a smaller batch.', /Try fewer steps/],
  ['failed on the GPU', crashed.code, crashed.message, /failed while making this image\. Try again; if it keeps failing, try another model or fewer LoRAs/],
  ['no server up', 'retries_exhausted', 'The image servers could not finish this request after several tries.', /No image server could take this request.*Try again in a few minutes/],
  ['server unreachable', 'comfy_unavailable', 'connect ECONNREFUSED 10.0.0.5:8188', /No image server could take this request/],
  ['storage failing past its retry time', 'storage_unavailable', 'Image storage failed for 600 s: ENOSPC: no space left on device, write', /image storage could not save it in time\. Please try again in a few minutes/],
  ['lost', 'lost', 'This request was lost by the scheduler. Please try again.', /Please try again/],
  ['stopped by the server', 'cancelled', 'interrupted', /stopped this request\. Please try again/],
  ['unknown workflow', 'validation_failed', "Unknown workflow template 'x'.", /Run \/imagine again/],
  ['anything else', 'something_new', 'TypeError: x is not a function at foo.ts:1', /Please try again in a minute/],
];

describe('what a member reads about a failed request', () => {
  test.each(cases)('%s', (_name, errorCode, errorMessage, says) => {
    const text = failureText({ errorCode, errorMessage, checkpoint: 'sdxl_base.safetensors' });
    expect(text).toMatch(says);
    expect(text).not.toMatch(technical);
    expect(text).not.toContain('ECONNREFUSED');
  });
});
