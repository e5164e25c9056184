import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { simVersions, startComfySim, type SimVersion } from '#sim/comfyui/index.ts';
import { buildTxt2Img, ComfyClient, validateWorkflow } from '#shared/comfyui/index.ts';
import { txt2imgParams } from './fixtures.ts';
import { LogTap } from './log-tap.ts';

type Sim = Awaited<ReturnType<typeof startComfySim>>;
const open: { sim?: Sim; client?: ComfyClient } = {};

afterEach(async () => {
  await open.client?.close();
  await open.sim?.close();
});

async function setup(version: SimVersion) {
  const sim = await startComfySim({ models: { checkpoints: ['a.safetensors'], loras: ['l.safetensors'] }, secondsPerStep: 0.005, version });
  const client = new ComfyClient({ baseUrl: sim.url, logger: new LogTap().logger, retries: 3, timeoutMs: 2_000, backoff: { baseMs: 20, maxMs: 200 } });
  open.sim = sim;
  open.client = client;
  return { sim, client };
}

const graph = (steps = 8) => buildTxt2Img(txt2imgParams({ checkpoint: 'a.safetensors', steps, seed: String(Math.floor(Math.random() * 1e9)), filenamePrefix: `crash/${randomUUID()}` }));

describe.each(simVersions)('followPrompt across a ComfyUI %s crash and restart', (version) => {
  it('collects a prompt that finished before the crash when history is kept', async () => {
    const { sim, client } = await setup(version);
    const promptId = randomUUID();
    sim.pause();
    await client.submit(graph(), { promptId });
    const following = client.followPrompt(promptId, { pollIntervalMs: 100, timeoutMs: 15_000 });
    await client.events().waitConnected();
    // Cut our event stream off, let the prompt finish unseen, then crash and come back.
    await sim.refuseConnections(true);
    sim.dropSockets({});
    sim.resume();
    // History is written just after execution_success (as in ComfyUI); crash once the worker is idle.
    await sim.waitFor('idle', undefined, 5_000);
    await sim.crash({ keepHistory: true });
    await sim.restart();
    await sim.refuseConnections(false);
    const outcome = await following;
    expect(outcome.status).toBe('success');
    expect(outcome.status === 'success' && outcome.images.length).toBe(1);
    // After the restart a newer server is asked with one GET /api/jobs/{id}; 0.3.64 through /queue and /history.
    const asked = sim.requests.filter((r) => r.includes(promptId));
    if (version === '0.38') expect(asked).toContain(`GET /api/jobs/${promptId}`);
    else expect(asked).toEqual(expect.arrayContaining([`GET /history/${promptId}`]));
    expect(asked.some((r) => r.startsWith('GET /api/jobs'))).toBe(version === '0.38');
  });

  it('reports a prompt lost in the crash as unknown so the caller resubmits', async () => {
    const { sim, client } = await setup(version);
    const promptId = randomUUID();
    sim.pause();
    await client.submit(graph(), { promptId });
    const following = client.followPrompt(promptId, { pollIntervalMs: 100, timeoutMs: 15_000 });
    await client.events().waitConnected();
    await sim.crash({ keepHistory: false });
    await sim.restart();
    const outcome = await following;
    expect(outcome).toMatchObject({ status: 'unknown', promptId, reason: expect.stringMatching(/resubmit/) });
  });

  it('reconciles a prompt still running after a reconnect, then collects it', async () => {
    const { sim, client } = await setup(version);
    const promptId = randomUUID();
    await client.submit(graph(2000), { promptId });
    await sim.waitFor('execution_start', promptId, 5_000);
    expect(await client.lookup(promptId)).toEqual({ state: 'running' });
    sim.dropSockets({});
    expect(await client.cancel(promptId)).toBe('interrupted');
    const outcome = await client.followPrompt(promptId, { pollIntervalMs: 100, timeoutMs: 15_000 });
    expect(outcome.status).toBe('interrupted');
    const found = await client.lookup(promptId);
    expect(found.state === 'finished' && found.entry.status.messages.map(([name]) => name)).toContain('execution_interrupted');
  });
});

describe('ComfyClient against the NEWER stand-in', () => {
  it('runs the builder output end to end', async () => {
    const sim = await startComfySim({ models: { checkpoints: ['a.safetensors'], loras: ['l.safetensors'] }, secondsPerStep: 0.002, version: '0.38' });
    const client = new ComfyClient({ baseUrl: sim.url, logger: new LogTap().logger, backoff: { baseMs: 20, maxMs: 200 } });
    open.sim = sim;
    open.client = client;
    const g = graph();
    expect(validateWorkflow(g, await client.objectInfo())).toEqual([]);
    const promptId = randomUUID();
    await client.submit(g, { promptId });
    const outcome = await client.followPrompt(promptId, { pollIntervalMs: 100, timeoutMs: 10_000 });
    expect(outcome.status === 'success' && outcome.images[0]!.filename).toMatch(/_00001_\.png$/);
  });
});
