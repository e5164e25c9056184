import { afterEach, describe, expect, it } from 'vitest';
import { startComfySim, type ComfySim } from '#sim/comfyui/index.ts';
import { finished, getJson, postPrompt, txt2img, WsClient } from './helpers.ts';

let sim: ComfySim;
afterEach(() => sim.close());

describe('fault injection', () => {
  it('fault: refuseConnections stops listening on the same port and resumes later', async () => {
    sim = await startComfySim();
    const port = sim.port;
    await sim.refuseConnections(true);
    await expect(fetch(`${sim.url}/queue`)).rejects.toThrow();
    await sim.refuseConnections(false);
    expect(sim.port).toBe(port);
    expect((await fetch(`${sim.url}/queue`)).status).toBe(200);
  });

  it('fault: failNextRequests answers 500 for the next N requests, optionally only under a path prefix', async () => {
    sim = await startComfySim();
    sim.failNextRequests(2, { pathPrefix: '/prompt' });
    expect((await fetch(`${sim.url}/queue`)).status).toBe(200);
    expect((await fetch(`${sim.url}/api/prompt`)).status).toBe(500);
    expect((await postPrompt(sim, txt2img())).status).toBe(500);
    expect((await fetch(`${sim.url}/prompt`)).status).toBe(200);
    sim.failNextRequests(1, { status: 503 });
    expect((await fetch(`${sim.url}/system_stats`)).status).toBe(503);
  });

  it('fault: dropSockets now, and after K progress events of the running prompt (the prompt still finishes)', async () => {
    sim = await startComfySim({ secondsPerStep: 0.002 });
    const first = await WsClient.open(sim, 'drop');
    sim.dropSockets();
    await first.untilClosed();
    const c = await WsClient.open(sim, 'drop');
    sim.dropSockets({ afterProgressEvents: 2 });
    const { body } = await postPrompt(sim, txt2img({ steps: 6 }), { client_id: 'drop' });
    await c.untilClosed();
    expect(c.messages.filter((m) => m.type === 'progress')).toHaveLength(2);
    await sim.waitFor('execution_success', body.prompt_id as string);
  });

  it('fault: crash loses the queue and the running prompt; restart listens on the same port; history kept or lost', async () => {
    sim = await startComfySim({ secondsPerStep: 0.02 });
    const done = await postPrompt(sim, txt2img({ steps: 1, text: 'done before crash' }));
    await sim.waitFor('idle');
    const c = await WsClient.open(sim, 'crash');
    const running = await postPrompt(sim, txt2img({ steps: 500, text: 'running' }), { client_id: 'crash' });
    const pending = await postPrompt(sim, txt2img({ text: 'pending' }), { client_id: 'crash' });
    await c.until((ms) => ms.some((m) => m.type === 'progress'));
    const port = sim.port;
    await sim.crash({ keepHistory: true });
    await c.untilClosed();
    await expect(fetch(`${sim.url}/queue`)).rejects.toThrow();
    await sim.restart();
    expect(sim.port).toBe(port);
    expect(await getJson(sim, '/queue')).toEqual({ queue_running: [], queue_pending: [] });
    expect(await getJson(sim, `/history/${running.body.prompt_id as string}`)).toEqual({});
    expect(Object.keys((await getJson(sim, `/history/${done.body.prompt_id as string}`)) as object)).toHaveLength(1);
    expect(sim.executions.find((e) => e.promptId === running.body.prompt_id)!.status).toBe('lost');
    expect(sim.executions.some((e) => e.promptId === pending.body.prompt_id)).toBe(false);
    const after = await postPrompt(sim, txt2img({ steps: 1, text: 'after restart' }));
    expect(after.body.number).toBe(0); // a fresh process counts from 0 again
    await sim.waitFor('execution_success', after.body.prompt_id as string);
    await sim.crash();
    await sim.restart();
    expect(await getJson(sim, '/history')).toEqual({});
  });

  it('fault: oomNext makes the next prompt fail with execution_error torch.OutOfMemoryError (§5.2 payload)', async () => {
    sim = await startComfySim({ secondsPerStep: 0.001 });
    const c = await WsClient.open(sim, 'oom');
    sim.oomNext();
    const { body } = await postPrompt(sim, txt2img(), { client_id: 'oom' });
    const pid = body.prompt_id as string;
    await c.until(finished(pid));
    const err = c.messages.find((m) => m.type === 'execution_error')!.data;
    expect(err).toMatchObject({ prompt_id: pid, node_id: '3', node_type: 'KSampler', exception_type: 'torch.OutOfMemoryError', current_outputs: [] });
    expect(err.exception_message as string).toContain('CUDA out of memory');
    expect(err.exception_message as string).toContain('TIPS: If the workflow worked before');
    expect((err.current_inputs as Record<string, unknown[]>).seed).toEqual([42]);
    expect(Array.isArray(err.traceback)).toBe(true);
    expect(c.trace(pid).slice(-3)).toEqual(['execution_error', 'status', 'executing:null']);
    const hist = (await getJson(sim, `/history/${pid}`)) as Record<string, { status: { status_str: string } }>;
    expect(hist[pid]!.status.status_str).toBe('error');
    const next = await postPrompt(sim, txt2img({ seed: 43 }), { client_id: 'oom' });
    await sim.waitFor('execution_success', next.body.prompt_id as string);
  });

  it('fault: a model removed after validation fails execution with FileNotFoundError; afterwards it is not in the lists', async () => {
    sim = await startComfySim({ secondsPerStep: 0.001 });
    const c = await WsClient.open(sim, 'gone');
    sim.pause();
    const { body } = await postPrompt(sim, txt2img({ ckpt: 'dreamshaper_8.safetensors' }), { client_id: 'gone' });
    sim.removeModel('checkpoints', 'dreamshaper_8.safetensors');
    sim.resume();
    const pid = body.prompt_id as string;
    await c.until(finished(pid));
    const err = c.messages.find((m) => m.type === 'execution_error')!.data;
    expect(err).toMatchObject({ node_id: '4', node_type: 'CheckpointLoaderSimple', exception_type: 'FileNotFoundError',
      exception_message: "Model in folder 'checkpoints' with filename 'dreamshaper_8.safetensors' not found.\n" });
    expect(await getJson(sim, '/models/checkpoints')).not.toContain('dreamshaper_8.safetensors');
    const rejected = await postPrompt(sim, txt2img({ ckpt: 'dreamshaper_8.safetensors' }));
    expect(rejected.status).toBe(400);
  });

  it('pause holds the worker between steps; executions record start/finish for idle-gap checks', async () => {
    sim = await startComfySim({ secondsPerStep: 0.002 });
    const c = await WsClient.open(sim, 'p');
    const { body } = await postPrompt(sim, txt2img({ steps: 50 }), { client_id: 'p' });
    await c.until((ms) => ms.some((m) => m.type === 'progress'));
    sim.pause();
    const count = c.messages.filter((m) => m.type === 'progress').length;
    await new Promise((r) => setTimeout(r, 60)); // safety window: nothing may progress while paused
    expect(c.messages.filter((m) => m.type === 'progress').length).toBeLessThanOrEqual(count + 1);
    sim.resume();
    await sim.waitFor('execution_success', body.prompt_id as string);
    const exec = sim.executions.at(-1)!;
    expect(exec.status).toBe('success');
    expect(exec.finishedAt! - exec.startedAt).toBeGreaterThanOrEqual(60);
  });
});
