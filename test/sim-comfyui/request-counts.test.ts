import { afterEach, expect, it } from 'vitest';
import { startComfySim, type ComfySim } from '#sim/comfyui/index.ts';

let sim: ComfySim | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

it('counts every request by method and first path segment, /api/x as /x', async () => {
  sim = await startComfySim();
  for (const path of ['/history/a', '/api/history/b', '/queue', '/no-such-route']) await (await fetch(`${sim.url}${path}`)).text();
  await (await fetch(`${sim.url}/prompt`, { method: 'POST', body: '{}' })).text();
  expect(Object.fromEntries(sim.requestCounts)).toEqual({ 'GET /history': 2, 'GET /queue': 1, 'GET /no-such-route': 1, 'POST /prompt': 1 });
});
