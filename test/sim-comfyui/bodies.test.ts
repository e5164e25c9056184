import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startComfySim, type ComfySim } from '#sim/comfyui/index.ts';
import { expectWorkerServes, historyOf, postRaw, txt2img } from './helpers.ts';

let sim: ComfySim;
beforeAll(async () => {
  sim = await startComfySim({ secondsPerStep: 0.001 });
});
afterAll(() => sim.close());

const ok = txt2img();
const SERVER_ERROR = '500 Internal Server Error\n\nServer got itself in trouble';
const top = (type: string, message: string, details: string) => ({ error: { type, message, details, extra_info: {} }, node_errors: {} });
const noPrompt = top('no_prompt', 'No prompt provided', 'No prompt provided');
const noOutputs = top('prompt_no_outputs', 'Prompt has no outputs', '');
const missingClass = (id: string) => top('invalid_prompt', 'Cannot execute because a node is missing the class_type property.', `Node ID '#${id}'`);
const unknownClass = (name: string, id: string) => top('invalid_prompt', `Cannot execute because node ${name} does not exist.`, `Node ID '#${id}'`);
const innerError = (input: string, link: unknown[], type: string, message: string) => ({
  node: '8', error: { type: 'exception_during_inner_validation', message: 'Exception when validating inner node', details: message,
    extra_info: { input_name: input, exception_message: message, exception_type: type, linked_node: link } },
});

/**
 * POST /prompt bodies and ComfyUI's answer: 400 with its error body, 500 where server.py or validate_prompt
 * raise (they index and iterate without type checks), or 200. After each one the worker still serves.
 */
const bodies: { name: string; body: string; status: 200 | 400 | 500; json?: unknown; inner?: ReturnType<typeof innerError>; text?: string }[] = [
  { name: 'a list body has no "prompt" member', body: '[1, 2]', status: 400, json: noPrompt },
  { name: 'a string body without the word prompt', body: '"abc"', status: 400, json: noPrompt },
  { name: 'a string body containing "prompt" cannot be indexed', body: '"a prompt"', status: 500 },
  { name: 'a list body containing "prompt"', body: '["prompt"]', status: 500 },
  { name: 'a number body is not iterable', body: '5', status: 500 },
  { name: 'a null body', body: 'null', status: 500 },
  { name: 'an empty list prompt has no outputs', body: '{"prompt": []}', status: 400, json: noOutputs },
  { name: 'an empty string prompt has no outputs', body: '{"prompt": ""}', status: 400, json: noOutputs },
  { name: 'a non-empty string prompt', body: '{"prompt": "x"}', status: 500 },
  { name: 'a list prompt indexed by its items: prompt[1] is a string without class_type', body: '{"prompt": [1, "xyz"]}', status: 400, json: missingClass('1') },
  { name: 'a list prompt whose item is not a container', body: '{"prompt": [0]}', status: 500 },
  { name: 'a number prompt', body: '{"prompt": 5}', status: 500 },
  { name: '{"prompt": null} (API.md §11.5)', body: '{"prompt": null}', status: 500 },
  { name: 'a string node lacks class_type', body: '{"prompt": {"1": "abc"}}', status: 400, json: missingClass('1') },
  { name: 'a list node lacks class_type', body: '{"prompt": {"1": []}}', status: 400, json: missingClass('1') },
  { name: 'a string node mentioning class_type cannot be indexed', body: '{"prompt": {"1": "my class_type"}}', status: 500 },
  { name: 'a number node', body: '{"prompt": {"1": 5}}', status: 500 },
  { name: 'a list class_type is unhashable', body: '{"prompt": {"1": {"class_type": ["x"]}}}', status: 500 },
  { name: 'a null class_type is an unknown node None', body: '{"prompt": {"1": {"class_type": null}}}', status: 400, json: unknownClass('None', '1') },
  { name: 'a float class_type', body: '{"prompt": {"1": {"class_type": 1.5}}}', status: 400, json: unknownClass('1.5', '1') },
  { name: 'extra_data as a list is accepted', body: `{"prompt": ${ok}, "extra_data": []}`, status: 200 },
  { name: 'extra_data as a list with client_id: the assignment fails', body: `{"prompt": ${ok}, "extra_data": [], "client_id": "c"}`, status: 500 },
  { name: 'that assignment comes before the validity check', body: '{"prompt": {"1": {"class_type": "Nope"}}, "extra_data": [], "client_id": "c"}', status: 500 },
  { name: 'extra_data null without client_id is accepted', body: `{"prompt": ${ok}, "extra_data": null}`, status: 200 },
  { name: 'number that float() rejects', body: `{"prompt": ${ok}, "number": "abc"}`, status: 500 },
  { name: 'number null', body: `{"prompt": ${ok}, "number": null}`, status: 500 },
  { name: 'number as a list', body: `{"prompt": ${ok}, "number": [1]}`, status: 500 },
  { name: 'number as text float() reads', body: `{"prompt": ${ok}, "number": " 1e3 "}`, status: 200, text: '"number": 1000.0' },
  { name: 'number true is 1.0', body: `{"prompt": ${ok}, "number": true}`, status: 200, text: '"number": 1.0' },
  { name: 'number "nan" is NaN (json.dumps writes NaN)', body: `{"prompt": ${ok}, "number": "nan"}`, status: 200, text: '"number": NaN' },
  { name: 'front as a non-empty list is truthy', body: `{"prompt": ${ok}, "front": [0]}`, status: 200, text: '"number": -' },
  { name: 'partial_execution_targets as a string is a substring test ("9" in "19")', body: `{"prompt": ${ok}, "partial_execution_targets": "19"}`, status: 200 },
  { name: 'partial_execution_targets as a dict tests its keys', body: `{"prompt": ${ok}, "partial_execution_targets": {"9": 0}}`, status: 200 },
  { name: 'partial_execution_targets null means all outputs', body: `{"prompt": ${ok}, "partial_execution_targets": null}`, status: 200 },
  { name: 'partial_execution_targets with ints never matches a str id', body: `{"prompt": ${ok}, "partial_execution_targets": [9]}`, status: 400, json: noOutputs },
  { name: 'partial_execution_targets as a number fails at the first output node', body: `{"prompt": ${ok}, "partial_execution_targets": 5}`, status: 500 },
  {
    name: 'nodes are checked in document order: an unknown class before the output node is a 400',
    body: `{"prompt": ${ok.replace('{\n', '{\n  "2": {"class_type": "Nope", "inputs": {}},\n')}, "partial_execution_targets": 5}`, status: 400, json: unknownClass('Nope', '2'),
  },
  {
    name: 'output index out of range: RETURN_TYPES[-4] raises outside validate_inputs\' try',
    body: `{"prompt": ${ok.replace('"vae": ["4", 2]', '"vae": ["4", -4]')}}`, status: 400, inner: innerError('images', ['8', 0], 'IndexError', 'tuple index out of range'),
  },
  {
    name: 'output index as a float',
    body: `{"prompt": ${ok.replace('"vae": ["4", 2]', '"vae": ["4", 2.0]')}}`, status: 400, inner: innerError('images', ['8', 0], 'TypeError', 'tuple indices must be integers or slices, not float'),
  },
  {
    name: 'output index as a string',
    body: `{"prompt": ${ok.replace('"vae": ["4", 2]', '"vae": ["4", "2"]')}}`, status: 400, inner: innerError('images', ['8', 0], 'TypeError', 'tuple indices must be integers or slices, not str'),
  },
  {
    name: 'output index too big for an index',
    body: `{"prompt": ${ok.replace('"vae": ["4", 2]', '"vae": ["4", 99999999999999999999]')}}`, status: 400,
    inner: innerError('images', ['8', 0], 'IndexError', "cannot fit 'int' into an index-sized integer"),
  },
  {
    name: 'a link naming its node with an int is a KeyError',
    body: `{"prompt": ${ok.replace('"vae": ["4", 2]', '"vae": [4, 2]')}}`, status: 400, inner: innerError('images', ['8', 0], 'KeyError', '4'),
  },
  {
    name: 'inputs as a list hold no input names: every required input is missing',
    body: `{"prompt": ${ok.replace('"inputs": {"images": ["8", 0], "filename_prefix": "test/job"}', '"inputs": []')}}`, status: 400, text: '"node_errors": {"9": {"errors": [{"type": "required_input_missing"',
  },
  {
    name: 'inputs as a string containing an input name cannot be indexed',
    body: `{"prompt": ${ok.replace('"inputs": {"images": ["8", 0], "filename_prefix": "test/job"}', '"inputs": "images"')}}`, status: 400,
    text: '"details": "string indices must be integers, not \'str\'", "extra_info": {"exception_type": "TypeError"',
  },
  {
    name: 'inputs null is not iterable',
    body: `{"prompt": ${ok.replace('"inputs": {"images": ["8", 0], "filename_prefix": "test/job"}', '"inputs": null')}}`, status: 400,
    text: '"details": "argument of type \'NoneType\' is not iterable", "extra_info": {"exception_type": "TypeError"',
  },
  { name: 'malformed JSON', body: '{nope', status: 500 },
  { name: 'an empty body', body: '', status: 500 },
  { name: 'trailing data after the JSON value', body: `{"prompt": ${ok}} x`, status: 500 },
  { name: 'an int longer than 4300 digits (int_max_str_digits)', body: `{"prompt": ${ok}, "number": ${'9'.repeat(4301)}}`, status: 500 },
  {
    name: 'an int of 400 digits parses (and fails validation as a seed)',
    body: `{"prompt": ${txt2img({ seed: '9'.repeat(400) })}}`, status: 400, text: '"type": "value_bigger_than_max"',
  },
];

describe('POST /prompt: every body gets ComfyUI\'s answer, and the worker keeps serving', () => {
  it.each(bodies)('$name → $status', async ({ body, status, json, inner, text: fragment }) => {
    const res = await postRaw(sim, body);
    expect(res.status, res.text).toBe(status);
    if (status === 500) expect(res.text).toBe(SERVER_ERROR);
    if (json !== undefined) expect(JSON.parse(res.text)).toEqual(json);
    if (fragment !== undefined) expect(res.text).toContain(fragment);
    if (inner !== undefined) {
      const answer = JSON.parse(res.text) as { error: { type: string }; node_errors: Record<string, { errors: unknown[] }> };
      expect(answer.error.type).toBe('prompt_outputs_failed_validation');
      expect(Object.keys(answer.node_errors)).toEqual([inner.node]);
      expect(answer.node_errors[inner.node]!.errors).toEqual([expect.objectContaining({ ...inner.error, extra_info: expect.objectContaining(inner.error.extra_info) })]);
    }
    if (status === 200) await historyOf(sim, (JSON.parse(res.text.replace('NaN', '0')) as { prompt_id: string }).prompt_id);
    await expectWorkerServes(sim);
  });
});

describe('POST /prompt on a NEWER server', () => {
  let newer: ComfySim;
  beforeAll(async () => {
    newer = await startComfySim({ objectInfo: 'newer', secondsPerStep: 0.001 });
  });
  afterAll(() => newer.close());

  it('non-dict extra_data is refused when create_time is written (500); null fails the usage-source check', async () => {
    expect((await postRaw(newer, `{"prompt": ${ok}, "extra_data": []}`)).status).toBe(500);
    expect((await postRaw(newer, '{"prompt": {"1": {"class_type": "Nope"}}, "extra_data": null}')).status).toBe(500);
    await expectWorkerServes(newer);
  });

  it('missing_node_type reads _meta.title with .get: a falsy title falls back, a non-dict _meta is a 500', async () => {
    const titled = await postRaw(newer, '{"prompt": {"1": {"_meta": {"title": "My loader"}}}}');
    expect(JSON.parse(titled.text)).toEqual({
      error: { type: 'missing_node_type', message: "Node 'My loader' has no class_type. The workflow may be corrupted or a custom node is missing.", details: "Node ID '#1'",
        extra_info: { node_id: '1', class_type: null, node_title: 'My loader' } }, node_errors: {},
    });
    const untitled = await postRaw(newer, '{"prompt": {"1": {"_meta": {"title": ""}}}}');
    expect((JSON.parse(untitled.text) as { error: { message: string } }).error.message).toBe("Node 'ID #1' has no class_type. The workflow may be corrupted or a custom node is missing.");
    const nullTitle = await postRaw(newer, '{"prompt": {"1": {"class_type": "Nope", "_meta": {"title": null}}}}');
    expect((JSON.parse(nullTitle.text) as { error: { message: string } }).error.message).toBe("Node 'None' not found. The custom node may not be installed.");
    expect((await postRaw(newer, '{"prompt": {"1": {"_meta": "x"}}}')).status).toBe(500);
    expect((await postRaw(newer, '{"prompt": {"1": "abc"}}')).status).toBe(500);
  });

  it('a dependency cycle is reported on every node in it (validate_inputs\' visiting list)', async () => {
    const cyclic = ok.replace('"latent_image": ["5", 0]', '"latent_image": ["13", 0]')
      .replace(/\n}$/, ',\n  "13": {"class_type": "LatentUpscale", "inputs": {"samples": ["3", 0], "upscale_method": "nearest-exact", "width": 64, "height": 64, "crop": "disabled"}}\n}');
    const res = await postRaw(newer, `{"prompt": ${cyclic}}`);
    expect(res.status).toBe(400);
    const answer = JSON.parse(res.text) as { error: unknown; node_errors: Record<string, { errors: unknown[]; dependent_outputs: string[] }> };
    expect(answer.error).toEqual({ type: 'prompt_outputs_failed_validation', message: 'Prompt outputs failed validation', details: '', extra_info: {} });
    const path = '3 (KSampler) -> 13 (LatentUpscale) -> 3 (KSampler)';
    expect(answer.node_errors['3']).toEqual({ errors: [{ type: 'dependency_cycle', message: 'Dependency cycle detected', details: path, extra_info: { node_id: '3', cycle_nodes: ['3', '13'] } }], dependent_outputs: ['9'], class_type: 'KSampler' });
    expect(answer.node_errors['13']!.errors).toEqual([{ type: 'dependency_cycle', message: 'Dependency cycle detected', details: path, extra_info: { node_id: '13', cycle_nodes: ['3', '13'] } }]);
  });

  it('sensitive keys leave extra_data; Comfy-Usage-Source is recorded when extra_data lacks it', async () => {
    newer.pause();
    try {
      const res = await postRaw(newer, `{"prompt": ${ok}, "extra_data": {"api_key_comfy_org": "secret", "note": 1}}`, { 'comfy-usage-source': 'genonaut' });
      expect(res.status).toBe(200);
      const queue = (await (await fetch(`${newer.url}/queue`)).json()) as { queue_pending: [number, string, unknown, Record<string, unknown>][] };
      const extra = queue.queue_pending.find((i) => i[1] === (JSON.parse(res.text) as { prompt_id: string }).prompt_id)![3];
      expect(Object.keys(extra)).toEqual(['note', 'comfy_usage_source', 'create_time']);
      expect(extra.comfy_usage_source).toBe('genonaut');
    } finally {
      newer.resume();
    }
  });
});
