import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startComfySim, type ComfySim } from '#sim/comfyui/index.ts';
import { expectWorkerServes, historyOf, postPrompt, txt2img, WsClient } from './helpers.ts';

let sim: ComfySim;
beforeAll(async () => {
  sim = await startComfySim({ secondsPerStep: 0.001 });
  writeFileSync(path.join(sim.inputDir, 'not-an-image.png'), 'plain text');
});
afterAll(() => sim.close());

const base = txt2img();
const withNode = (prompt: string, node: string) => prompt.replace(/\n}$/, `,\n  ${node}\n}`);
const loadScaleSave = (image: string, scaleBy: string) => `{
  "1": {"class_type": "LoadImage", "inputs": {"image": ${JSON.stringify(image)}}},
  "2": {"class_type": "ImageScaleBy", "inputs": {"image": ["1", 0], "upscale_method": "nearest-exact", "scale_by": ${scaleBy}}},
  "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "odd/scaled"}}
}`;

type Outcome = 'success' | { node: string | null; type: string; message: string };

/** Prompts real ComfyUI accepts (HTTP 200) that are odd at run time, and how the run ends. */
const accepted: { name: string; prompt: string; extra?: Record<string, unknown>; outcome: Outcome }[] = [
  { name: 'a negative output index picks from the end (RETURN_TYPES[-1] is VAE)', prompt: base.replace('"vae": ["4", 2]', '"vae": ["4", -1]'), outcome: 'success' },
  { name: 'a bool output index is an int (True → CLIP)', prompt: base.replace('"clip": ["4", 1]', '"clip": ["4", true]'), outcome: 'success' },
  {
    name: 'an undeclared input linking a missing node (validation skips undeclared inputs)',
    prompt: base.replace('"filename_prefix": "test/job"', '"filename_prefix": "test/job", "bogus": ["99", 0]'),
    outcome: { node: '9', type: 'comfy_execution.graph.NodeNotFoundError', message: 'Node 99 not found\n' },
  },
  {
    name: 'an undeclared input linking a real node becomes an unexpected keyword argument',
    prompt: base.replace('"vae": ["4", 2]}', '"vae": ["4", 2], "bogus": ["4", 0]}'),
    outcome: { node: '8', type: 'TypeError', message: "VAEDecode.decode() got an unexpected keyword argument 'bogus'\n" },
  },
  {
    name: 'an undeclared link with a float slot indexes the output list with a float',
    prompt: base.replace('"vae": ["4", 2]}', '"vae": ["4", 2], "bogus": ["4", 1.0]}'),
    outcome: { node: '8', type: 'TypeError', message: 'list indices must be integers or slices, not float\n' },
  },
  {
    name: 'an unvalidated node reached through an undeclared input runs without its required inputs',
    prompt: withNode(base.replace('"filename_prefix": "test/job"', '"filename_prefix": "test/job", "bogus": ["60", 0]'), '"60": {"class_type": "EmptyLatentImage", "inputs": {}}'),
    outcome: { node: '60', type: 'TypeError', message: "EmptyLatentImage.generate() missing 2 required positional arguments: 'width' and 'height'\n" },
  },
  {
    name: 'an unreachable node without "inputs" (caching reads every node)',
    prompt: withNode(base, '"50": {"class_type": "EmptyLatentImage"}'),
    outcome: { node: '50', type: 'KeyError', message: "'inputs'\n" },
  },
  {
    name: 'an unreachable node whose inputs are a list',
    prompt: withNode(base, '"50": {"class_type": "EmptyLatentImage", "inputs": [1]}'),
    outcome: { node: '50', type: 'AttributeError', message: "'list' object has no attribute 'keys'\n" },
  },
  {
    name: 'extra_data as a list is queued; SaveImage then calls extra_data.get',
    prompt: base, extra: { extra_data: [] },
    outcome: { node: '9', type: 'AttributeError', message: "'list' object has no attribute 'get'\n" },
  },
  {
    name: 'extra_data as a string likewise',
    prompt: base, extra: { extra_data: 'notes' },
    outcome: { node: '9', type: 'AttributeError', message: "'str' object has no attribute 'get'\n" },
  },
  {
    name: 'extra_data null fails before any node ("client_id" in None)',
    prompt: base, extra: { extra_data: null },
    outcome: { node: null, type: 'TypeError', message: "argument of type 'NoneType' is not iterable\n" },
  },
  {
    name: 'an extra_pnginfo key PNG text cannot hold (latin-1)',
    prompt: base, extra: { extra_data: { extra_pnginfo: { 工作流: {} } } },
    outcome: { node: '9', type: 'UnicodeEncodeError', message: "'latin-1' codec can't encode character '\\u5de5' in position 0: ordinal not in range(256)\n" },
  },
  {
    name: 'a cycle built from undeclared inputs is found by the execution list',
    prompt: base.replace('"ckpt_name": "sd_xl_base_1.0.safetensors"}', '"ckpt_name": "sd_xl_base_1.0.safetensors", "bogus": ["8", 0]}'),
    outcome: { node: '9', type: 'graph.DependencyCycleError', message: 'Dependency cycle detected' },
  },
  {
    name: 'a latent too big for host memory (16384² × 4096)',
    prompt: txt2img({ width: 16384, height: 16384, batch: 4096 }),
    outcome: { node: '5', type: 'RuntimeError', message: '[enforce fail at alloc_cpu.cpp:116] data. DefaultCPUAllocator: not enough memory: you tried to allocate 274877906944 bytes.\n' },
  },
  {
    name: 'an image too big for the GPU to sample (16384²)',
    prompt: txt2img({ width: 16384, height: 16384 }),
    outcome: { node: '3', type: 'torch.OutOfMemoryError', message: expect.stringContaining('CUDA out of memory.') as unknown as string },
  },
  {
    name: 'scale_by NaN passes min/max; round() of NaN fails',
    prompt: loadScaleSave('example.png', '"nan"'),
    outcome: { node: '2', type: 'ValueError', message: 'cannot convert float NaN to integer\n' },
  },
  {
    name: 'LoadImage of "" validates (the input directory exists) and cannot be opened',
    prompt: loadScaleSave('', '1.0'),
    outcome: { node: '1', type: 'IsADirectoryError', message: expect.stringMatching(/^\[Errno 21\] Is a directory: '.*\/input\/'\n$/) as unknown as string },
  },
  {
    name: 'LoadImage of a file that is no image',
    prompt: loadScaleSave('not-an-image.png', '1.0'),
    outcome: { node: '1', type: 'PIL.UnidentifiedImageError', message: expect.stringMatching(/^cannot identify image file '.*not-an-image\.png'\n$/) as unknown as string },
  },
];

describe('the worker never wedges: odd prompts ComfyUI accepts end cleanly and the next prompt runs', () => {
  it.each(accepted)('$name', async ({ prompt, extra, outcome }) => {
    const { status, body, text } = await postPrompt(sim, prompt, extra);
    expect(status, text).toBe(200);
    const entry = await historyOf(sim, body.prompt_id as string);
    const [last, data] = entry.status.messages.at(-1)!;
    if (outcome === 'success') {
      expect(last).toBe('execution_success');
      expect(Object.keys(entry.outputs)).toEqual(['9']);
    } else {
      expect(entry.status).toMatchObject({ status_str: 'error', completed: false });
      expect(last).toBe('execution_error');
      expect(data).toMatchObject({ node_id: outcome.node, exception_type: outcome.type, exception_message: outcome.message });
    }
    await expectWorkerServes(sim);
  });

  it('an execution_error reaches the client socket, followed by status and executing null', async () => {
    const ws = await WsClient.open(sim, 'odd-client');
    const { body } = await postPrompt(sim, withNode(base, '"50": {"class_type": "EmptyLatentImage"}'), { client_id: 'odd-client' });
    const id = body.prompt_id as string;
    await ws.until((ms) => ms.some((m) => m.type === 'executing' && m.data.node === null && m.data.prompt_id === id));
    expect(ws.trace(id).filter((t) => t !== 'status')).toEqual(['execution_start', 'execution_error', 'executing:null']);
    ws.close();
    await expectWorkerServes(sim);
  });

  it('a client_id that is not a string reaches no socket (sid lookup), yet the prompt runs', async () => {
    const ws = await WsClient.open(sim, '5');
    const { body } = await postPrompt(sim, base, { client_id: 5 });
    const entry = await historyOf(sim, body.prompt_id as string);
    expect(entry.status.status_str).toBe('success');
    expect(entry.prompt[3]).toEqual({ client_id: 5 });
    expect(ws.messages.filter((m) => m.data?.prompt_id === body.prompt_id)).toEqual([]);
    ws.close();
  });
});
