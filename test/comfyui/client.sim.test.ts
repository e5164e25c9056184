import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { simVersions, startComfySim } from '#sim/comfyui/index.ts';
import { AppError, ErrorCode } from '#shared/errors.ts';
import { buildTxt2Img, ComfyClient, ComfyValidationError, validateWorkflow, type PromptGraph } from '#shared/comfyui/index.ts';
import { txt2imgParams } from './fixtures.ts';
import { LogTap } from './log-tap.ts';

type Sim = Awaited<ReturnType<typeof startComfySim>>;

// Every client behaviour holds against both server kinds the client detects (API.md §0, §9).
describe.each(simVersions)('ComfyClient against the %s stand-in', (version) => {
  const models = { checkpoints: ['a.safetensors', 'b.safetensors'], loras: ['l.safetensors'] };
  let sim: Sim;
  let dir: string;
  const clients: ComfyClient[] = [];

  beforeAll(async () => {
    sim = await startComfySim({ models, secondsPerStep: 0.005, version });
    dir = await mkdtemp(join(tmpdir(), 'comfy-client-'));
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    sim.resume();
    await sim.refuseConnections(false);
  });
  afterAll(async () => {
    await sim?.close();
    await rm(dir, { recursive: true, force: true });
  });

  function client(opts: { retries?: number; tap?: LogTap } = {}): ComfyClient {
    const c = new ComfyClient({
      baseUrl: sim.url,
      logger: (opts.tap ?? new LogTap()).logger,
      retries: opts.retries ?? 6,
      timeoutMs: 2_000,
      backoff: { baseMs: 20, maxMs: 200 },
    });
    clients.push(c);
    return c;
  }

  function graph(over: Parameters<typeof txt2imgParams>[0] = {}): PromptGraph {
    return buildTxt2Img(txt2imgParams({ checkpoint: 'a.safetensors', loras: [{ name: 'l.safetensors', strengthModel: 0.8, strengthClip: 0.5 }], steps: 8, seed: String(Math.floor(Math.random() * 1e9)), filenamePrefix: `t/${randomUUID()}`, ...over }));
  }

  const follow = { pollIntervalMs: 100, timeoutMs: 15_000 };

  function executionsOf(promptId: string) {
    return sim.executions.filter((e) => e.promptId === promptId);
  }

  it('reads object_info (seed max exact), models and system stats; the builder output validates and runs', async () => {
    const c = client();
    const info = await c.objectInfo();
    expect(info.KSampler!.input.required!.seed![1]!.max).toBe(18446744073709551615n);
    expect(await c.models('checkpoints')).toEqual(['a.safetensors', 'b.safetensors']);
    await expect(c.models('nope')).rejects.toMatchObject({ code: ErrorCode.NotFound });
    expect((await c.systemStats()).devices.length).toBeGreaterThan(0);

    const g = graph({ seed: '18446744073709551615' });
    expect(validateWorkflow(g, info)).toEqual([]);
    const promptId = randomUUID();
    const progress: string[] = [];
    const submitted = await c.submit(g, { promptId });
    expect(submitted).toMatchObject({ promptId, nodeErrors: {} });
    expect(typeof submitted.number).toBe('number');
    const outcome = await c.followPrompt(promptId, { ...follow, onProgress: (p) => progress.push(p.stage) });
    expect(outcome.status).toBe('success');
    if (outcome.status !== 'success') return;
    expect(outcome.images.length).toBe(1);
    expect(progress).toContain('running');

    const entry = await c.history(promptId);
    const ks = Object.keys(g).find((id) => g[id]!.class_type === 'KSampler')!;
    expect(entry!.prompt[2][ks]!.inputs.seed).toBe(18446744073709551615n);
    expect(await c.history(randomUUID())).toBeUndefined();

    const file = join(dir, 'out.png');
    const { bytes } = await c.download(outcome.images[0]!, file);
    const data = await readFile(file);
    expect(data.length).toBe(bytes);
    expect(data.subarray(1, 4).toString()).toBe('PNG');
    const stream = await c.openOutput(outcome.images[0]!);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).equals(data)).toBe(true);
  });

  it('retries refused connections until ComfyUI is back, then succeeds', async () => {
    const tap = new LogTap();
    const c = client({ tap, retries: 8 });
    await sim.refuseConnections(true);
    const retried = tap.next((l) => l.msg === 'ComfyUI request failed, retrying');
    const promptId = randomUUID();
    const submitting = c.submit(graph(), { promptId });
    await retried;
    const queueReads = sim.requestCounts.get('GET /queue') ?? 0;
    await sim.refuseConnections(false);
    await expect(submitting).resolves.toMatchObject({ promptId });
    // A refused connection never reached ComfyUI: the retry posts again without asking the queue first.
    expect(sim.requestCounts.get('GET /queue') ?? 0).toBe(queueReads);
    expect((await c.followPrompt(promptId, follow)).status).toBe('success');
    expect(executionsOf(promptId)).toHaveLength(1);
  });

  it('gives up on refused connections with a clear error', async () => {
    const c = client({ retries: 2 });
    await sim.refuseConnections(true);
    const err = await c.submit(graph()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe(ErrorCode.ComfyUnavailable);
    expect((err as AppError).message).toMatch(/^ComfyUI at http:\/\/\S+ could not be reached \(POST \/prompt, 3 attempts: ECONNREFUSED\) — check that it is running and reachable$/);
  });

  it('retries 500s and submits once', async () => {
    const tap = new LogTap();
    const c = client({ tap });
    sim.failNextRequests(2, { status: 500, pathPrefix: '/prompt' });
    const promptId = randomUUID();
    await c.submit(graph(), { promptId });
    expect(tap.count('ComfyUI request failed, retrying')).toBe(2);
    expect((await c.followPrompt(promptId, follow)).status).toBe('success');
    expect(executionsOf(promptId)).toHaveLength(1);
  });

  it('does not retry a 400 and types it', async () => {
    const tap = new LogTap();
    const c = client({ tap });
    const err = await c.submit(graph({ cfg: 150 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ComfyValidationError);
    const v = err as ComfyValidationError;
    expect(v.code).toBe(ErrorCode.ComfyValidation);
    expect(v.message).toMatch(/KSampler \(node \d+\) input 'cfg': value 150 is above the maximum 100 — lower it/);
    expect(Object.values(v.details.node_errors)[0]!.class_type).toBe('KSampler');
    expect(tap.count('ComfyUI request failed, retrying')).toBe(0);
  });

  it('collects a prompt whose socket was dropped mid-job', async () => {
    const c = client();
    sim.dropSockets({ afterProgressEvents: 2 });
    const promptId = randomUUID();
    await c.submit(graph({ steps: 20 }), { promptId });
    const outcome = await c.followPrompt(promptId, follow);
    expect(outcome.status).toBe('success');
    expect(c.events().generation).toBeGreaterThan(1);
    expect(executionsOf(promptId)).toHaveLength(1);
  });

  it('classifies an OOM and a model that vanished after validation', async () => {
    const c = client();
    sim.oomNext(1);
    const oomId = randomUUID();
    await c.submit(graph(), { promptId: oomId });
    const oom = await c.followPrompt(oomId, follow);
    expect(oom.status === 'error' && oom.error.code).toBe(ErrorCode.OutOfMemory);

    // A checkpoint no earlier prompt loaded (a cached loader would not notice the file is gone).
    sim.pause();
    const missingId = randomUUID();
    await c.submit(graph({ checkpoint: 'b.safetensors' }), { promptId: missingId });
    sim.removeModel('checkpoints', 'b.safetensors');
    sim.resume();
    const missing = await c.followPrompt(missingId, follow);
    sim.setModels('checkpoints', models.checkpoints);
    expect(missing.status === 'error' && missing.error.code).toBe(ErrorCode.ModelMissing);
    expect(missing.status === 'error' && missing.error.message).toMatch(/model 'b.safetensors' \(folder checkpoints\) is missing/);
  });

  it('cancels a pending prompt by dequeuing and a running one by interrupting', async () => {
    const tap = new LogTap();
    const c = client({ tap });
    const runningId = randomUUID();
    const pendingId = randomUUID();
    await c.submit(graph({ steps: 5000 }), { promptId: runningId });
    await sim.waitFor('execution_start', runningId, 5_000);
    await c.submit(graph(), { promptId: pendingId });
    expect(await c.queuePosition(pendingId)).toEqual({ state: 'pending', position: 0 });
    expect(await c.queuePosition(runningId)).toEqual({ state: 'running' });

    expect(await c.cancel(pendingId)).toBe('dequeued');
    expect(await c.cancel(runningId)).toBe('interrupted');
    expect((await c.followPrompt(runningId, follow)).status).toBe('interrupted');
    expect(await c.cancel(runningId)).toBe('not_found');
    expect((await c.followPrompt(pendingId, follow)).status).toBe('unknown');
    expect(executionsOf(pendingId)).toHaveLength(0);
    // Newer servers cancel atomically through POST /api/jobs/{id}/cancel; 0.3.64 has only the old routes.
    expect(tap.count('prompt cancelled through the jobs API')).toBe(version === '0.38' ? 2 : 0);
    expect(tap.count('pending prompt removed from the queue') + tap.count('running prompt interrupted')).toBe(version === '0.38' ? 0 : 2);
  });

  it('detects the server kind and looks a prompt up through every stage', async () => {
    const c = client();
    expect(await c.serverKind()).toEqual({ version: version === '0.38' ? '0.38.1' : '0.3.64', jobsApi: version === '0.38' });
    sim.pause();
    const firstId = randomUUID();
    const secondId = randomUUID();
    await c.submit(graph(), { promptId: firstId, extraData: { extra_pnginfo: { workflow: { id: 'wf-1' } } } });
    await c.submit(graph(), { promptId: secondId });
    expect(await c.lookup(firstId)).toEqual({ state: 'pending', position: 0 });
    expect(await c.lookup(secondId)).toEqual({ state: 'pending', position: 1 });
    const queued = (await c.queue()).pending[0]!;
    expect(queued[1]).toBe(firstId);
    // 0.38 stamps create_time (ms) into extra_data.
    expect(typeof queued[3].create_time).toBe(version === '0.38' ? 'number' : 'undefined');
    expect(await c.lookup(randomUUID())).toEqual({ state: 'absent' });
    sim.resume();
    expect((await c.followPrompt(secondId, follow)).status).toBe('success');
    const done = await c.lookup(firstId);
    expect(done.state).toBe('finished');
    if (done.state !== 'finished') return;
    expect(done.entry.status.status_str).toBe('success');
    expect(Object.values(done.entry.outputs).flatMap((o) => o.images ?? [])).toHaveLength(1);
  });
});
