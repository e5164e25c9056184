import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startComfySim, type ComfySim } from '#sim/comfyui/index.ts';
import { expectWorkerServes, getJson, postPrompt, txt2img } from './helpers.ts';

let sim: ComfySim;
beforeAll(async () => {
  sim = await startComfySim({ secondsPerStep: 0.001 });
});
afterAll(() => sim.close());

const post = async (path: string, body: string | Buffer) => {
  const res = await fetch(`${sim.url}${path}`, { method: 'POST', body: typeof body === 'string' ? body : new Uint8Array(body) });
  return { status: res.status, text: await res.text() };
};

/** The other POST routes read their JSON with `in`, `[]`, iteration or `.get` too (server.py). */
const rows: [path: string, body: string | Buffer, status: 200 | 500][] = [
  ['/queue', '[1]', 200], ['/queue', '["clear"]', 500], ['/queue', '5', 500], ['/queue', '{"delete": "abc"}', 200],
  ['/queue', '{"delete": 5}', 500], ['/queue', '{"delete": [["x"]]}', 200], ['/queue', '{nope', 500],
  ['/history', '[]', 200], ['/history', 'null', 500], ['/history', '{"delete": {"x": 1}}', 200], ['/history', '{"delete": [["x"]]}', 500],
  ['/free', '{}', 200], ['/free', '[]', 500], ['/free', '"free_memory"', 500],
  ['/interrupt', '', 200], ['/interrupt', '{nope', 200], ['/interrupt', '[]', 500], ['/interrupt', '{"prompt_id": 5}', 200],
  ['/interrupt', Buffer.from([0x7b, 0xff, 0x7d]), 500],
];

describe('POST /queue, /history, /free, /interrupt bodies', () => {
  it.each(rows)('%s %s → %i', async (path, body, status) => {
    expect((await post(path, body)).status).toBe(status);
    await expectWorkerServes(sim);
  });

  it('"delete" iterates whatever it holds: a string deletes the ids named by its characters, a dict its keys', async () => {
    sim.pause();
    try {
      await postPrompt(sim, txt2img({ text: 'a' }), { prompt_id: 'a' });
      await postPrompt(sim, txt2img({ text: 'z' }), { prompt_id: 'z' });
      await post('/queue', '{"delete": "abc"}');
      const pending = ((await getJson(sim, '/queue')) as { queue_pending: [number, string][] }).queue_pending.map((i) => i[1]);
      expect(pending).toEqual(['z']);
    } finally {
      sim.resume();
    }
    await sim.waitFor('execution_success', 'z');
    await post('/history', '{"delete": {"z": 1}}');
    expect(await getJson(sim, '/history/z')).toEqual({});
  });
});
