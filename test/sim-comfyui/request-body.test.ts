import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startComfySim, type ComfySim } from '#sim/comfyui/index.ts';
import { expectWorkerServes, historyOf, postRaw, txt2img } from './helpers.ts';

let sim: ComfySim;
beforeAll(async () => {
  sim = await startComfySim({ secondsPerStep: 0.001 });
});
afterAll(() => sim.close());

describe('§1 request bodies as aiohttp reads them: request.text() then json.loads', () => {
  it('a body that is not UTF-8, or starts with a BOM, is a 500 (strict decode, then json.loads)', async () => {
    const body = Buffer.from(`{"prompt": ${txt2img({ text: 'caf\u00e9' })}}`, 'utf8');
    expect((await postRaw(sim, Buffer.from(body.toString('utf8'), 'latin1'))).status).toBe(500);
    expect((await postRaw(sim, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), body]))).status).toBe(500);
    await expectWorkerServes(sim);
  });

  it('the Content-Type charset decodes the body (request.text())', async () => {
    const body = Buffer.from(`{"prompt": ${txt2img({ text: 'caf\u00e9' })}}`, 'latin1');
    const res = await postRaw(sim, body, { 'content-type': 'application/json; charset=ISO-8859-1' });
    expect(res.status).toBe(200);
    const entry = await historyOf(sim, (JSON.parse(res.text) as { prompt_id: string }).prompt_id);
    expect((entry.prompt[2] as Record<string, { inputs: { text: string } }>)['6']!.inputs.text).toBe('caf\u00e9');
    expect((await postRaw(sim, body, { 'content-type': 'application/json; charset=no-such-codec' })).status).toBe(500);
    expect((await postRaw(sim, body, { 'content-type': 'application/json; charset=US-ASCII' })).status).toBe(500);
  });

  it('a body over client_max_size (100 MiB) is a 413 with aiohttp\'s text', async () => {
    const res = await postRaw(sim, Buffer.alloc(100 * 1024 * 1024 + 1, 0x20));
    expect(res.status).toBe(413);
    expect(res.text).toMatch(/^Maximum request body size 104857600 exceeded, actual body size \d+$/);
    await expectWorkerServes(sim);
  });
});
