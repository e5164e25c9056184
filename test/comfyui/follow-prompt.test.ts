import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '#shared/errors.ts';
import { ComfyEventStream, followPrompt, recordPromptEvents, type ComfyEvent, type FollowProgress, type HistoryEntry, type PromptStateSource, type QueueSnapshot } from '#shared/comfyui/index.ts';
import { LogTap } from './log-tap.ts';
import { SidRoutingServer } from './ws-server.ts';

const P = 'pid-1';
const image = { filename: 'job_00001_.png', subfolder: 'genonaut', type: 'output' };
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

/** Our PromptStateSource port, answered from plain state the test changes. */
class FakeComfyState implements PromptStateSource {
  readonly logger = new LogTap().logger;
  queueState: QueueSnapshot = { running: [], pending: [] };
  entries = new Map<string, HistoryEntry>();
  down = false;
  queueCalls = 0;
  historyCalls = 0;

  async queue(): Promise<QueueSnapshot> {
    this.queueCalls++;
    if (this.down) throw new Error('ECONNREFUSED');
    return this.queueState;
  }

  async history(id: string): Promise<HistoryEntry | undefined> {
    this.historyCalls++;
    if (this.down) throw new Error('ECONNREFUSED');
    return this.entries.get(id);
  }

  run(id: string): void {
    this.queueState = { running: [[0, id, {}, {}, ['9']]], pending: [] };
  }

  finish(id: string, entry: Partial<HistoryEntry> = {}): void {
    this.queueState = { running: [], pending: [] };
    this.entries.set(id, {
      prompt: [0, id, {}, {}, ['9']],
      outputs: { '9': { images: [image] } },
      status: { status_str: 'success', completed: true, messages: [['execution_success', { prompt_id: id }]] },
      ...entry,
    });
  }
}

async function setup() {
  const server = await SidRoutingServer.start();
  const stream = new ComfyEventStream({ baseUrl: server.url, clientId: 'svc-1', logger: new LogTap().logger, backoff: { baseMs: 20, maxMs: 100 } });
  cleanups.push(() => stream.close(), () => server.close());
  const state = new FakeComfyState();
  return { server, stream, state };
}

describe('ComfyEventStream', () => {
  it('reconnects after a drop without ever holding two sockets for the same sid, so events still arrive', async () => {
    const { server, stream } = await setup();
    const events: ComfyEvent[] = [];
    stream.subscribe((e) => events.push(e));
    await stream.waitConnected();
    expect(stream.sid).toBe('svc-1');

    for (let i = 0; i < 3; i++) {
      const reconnected = new Promise<void>((r) => {
        const off = stream.onConnect(() => {
          off();
          r();
        });
      });
      if (i === 2) stream.reconnect('test');
      else server.dropAll();
      await reconnected;
    }
    expect(stream.generation).toBe(4);
    expect(server.maxOpen.get('svc-1')).toBe(1);
    // The mapping survived every old socket's close: a routed message reaches us.
    const got = new Promise<ComfyEvent>((r) => stream.subscribe((e) => e.type === 'progress' && r(e)));
    expect(server.send('svc-1', 'progress', { value: 1, max: 2, prompt_id: P, node: '3' })).toBe(true);
    expect(await got).toEqual({ type: 'progress', data: { value: 1, max: 2, prompt_id: P, node: '3' } });
  });
});

describe('followPrompt', () => {
  it('follows events to success and reports progress', async () => {
    const { server, stream, state } = await setup();
    state.queueState = { running: [], pending: [[4, 'other', {}, {}, []], [5, P, {}, {}, ['9']]] };
    const progress: FollowProgress[] = [];
    const following = followPrompt(state, stream, P, { pollIntervalMs: 60_000, onProgress: (p) => progress.push(p) });
    await stream.waitConnected();
    await expect.poll(() => progress.length).toBeGreaterThan(0);
    expect(progress[0]).toEqual({ stage: 'pending', position: 1 });
    state.run(P);
    server.send('svc-1', 'execution_start', { prompt_id: P });
    server.send('svc-1', 'progress', { value: 3, max: 8, prompt_id: P, node: '3' });
    server.send('svc-1', 'progress', { value: 3, max: 8, prompt_id: 'someone-else', node: '3' });
    server.send('svc-1', 'executed', { node: '9', output: { images: [image] }, prompt_id: P });
    state.finish(P);
    server.send('svc-1', 'execution_success', { prompt_id: P });
    const outcome = await following;
    expect(outcome).toEqual({ status: 'success', promptId: P, outputs: { '9': { images: [image] } }, images: [image] });
    expect(progress).toContainEqual({ stage: 'running', node: '3', value: 3, max: 8 });
    expect(progress.filter((p) => p.stage === 'running' && p.value !== undefined)).toHaveLength(1);
  });

  it('takes a success from the events alone when it saw every one from execution_start on', async () => {
    const { server, stream, state } = await setup();
    state.run(P);
    const following = followPrompt(state, stream, P, { pollIntervalMs: 60_000 });
    await stream.waitConnected();
    server.send('svc-1', 'execution_start', { prompt_id: P });
    server.send('svc-1', 'executed', { node: '9', output: { images: [image] }, prompt_id: P });
    server.send('svc-1', 'execution_success', { prompt_id: P });
    expect(await following).toEqual({ status: 'success', promptId: P, outputs: { '9': { images: [image] } }, images: [image] });
    expect(state.historyCalls).toBe(0);
  });

  it('reads history once, on executing null, after a success whose start it did not see', async () => {
    const { server, stream, state } = await setup();
    state.run(P);
    const following = followPrompt(state, stream, P, { pollIntervalMs: 60_000 });
    await stream.waitConnected();
    await expect.poll(() => state.queueCalls).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 50)); // the checks on start and on connect are done
    const queueCalls = state.queueCalls;
    server.send('svc-1', 'executed', { node: '9', output: { images: [image] }, prompt_id: P });
    server.send('svc-1', 'execution_success', { prompt_id: P });
    await new Promise((r) => setTimeout(r, 150)); // history not written yet (API.md §6): nothing to read
    expect(state.historyCalls).toBe(0);
    const other = { filename: 'job_00002_.png', subfolder: 'genonaut', type: 'output' };
    state.finish(P, { outputs: { '9': { images: [image] }, '12': { images: [other] } } });
    server.send('svc-1', 'executing', { node: null, prompt_id: P });
    const outcome = await following;
    expect(outcome.status === 'success' && outcome.images).toEqual([image, other]);
    expect(state.historyCalls).toBe(1);
    expect(state.queueCalls).toBe(queueCalls);
  });

  it('reads history after a short wait when executing null never comes', async () => {
    const { server, stream, state } = await setup();
    state.run(P);
    const following = followPrompt(state, stream, P, { pollIntervalMs: 60_000 });
    await stream.waitConnected();
    state.finish(P);
    server.send('svc-1', 'execution_success', { prompt_id: P });
    expect((await following).status === 'success' && state.historyCalls).toBe(1);
  });

  it('follows a recorded prompt from before its submission without asking where it is', async () => {
    const { server, stream, state } = await setup();
    await stream.waitConnected();
    const recorded = recordPromptEvents(stream, P);
    const seen = new Promise<void>((r) => stream.subscribe((e) => e.type === 'executing' && e.data.node === null && r()));
    state.finish(P);
    // The whole prompt runs before anyone follows it.
    server.send('svc-1', 'execution_start', { prompt_id: P });
    server.send('svc-1', 'progress', { value: 1, max: 1, prompt_id: P, node: '3' });
    server.send('svc-1', 'executed', { node: '9', output: { images: [image] }, prompt_id: P });
    server.send('svc-1', 'executed', { node: '9', output: { images: ['not ours'] }, prompt_id: 'someone-else' });
    server.send('svc-1', 'execution_success', { prompt_id: P });
    server.send('svc-1', 'executing', { node: null, prompt_id: P });
    await seen;
    const progress: FollowProgress[] = [];
    const outcome = await followPrompt(state, stream, P, { pollIntervalMs: 60_000, recorded, onProgress: (p) => progress.push(p) });
    expect(outcome).toEqual({ status: 'success', promptId: P, outputs: { '9': { images: [image] } }, images: [image] });
    expect(progress).toContainEqual({ stage: 'running', node: '3', value: 1, max: 1 });
    expect([state.queueCalls, state.historyCalls]).toEqual([0, 0]);
  });

  it('asks where a recorded prompt is when the socket reconnected since recording began', async () => {
    const { server, stream, state } = await setup();
    await stream.waitConnected();
    const recorded = recordPromptEvents(stream, P);
    const reconnected = new Promise<void>((r) => stream.onConnect(() => r()));
    server.dropAll();
    state.finish(P); // its events went nowhere
    await reconnected;
    const outcome = await followPrompt(state, stream, P, { pollIntervalMs: 60_000, recorded });
    expect(outcome.status === 'success' && outcome.images).toEqual([image]);
    expect(state.queueCalls).toBeGreaterThan(0);
  });

  it('collects a prompt that finished while the socket was down, on reconnect', async () => {
    const { server, stream, state } = await setup();
    state.run(P);
    const following = followPrompt(state, stream, P, { pollIntervalMs: 60_000 });
    await stream.waitConnected();
    const reconnected = new Promise<void>((r) => stream.onConnect(() => r()));
    server.dropAll();
    state.finish(P); // its events went nowhere
    await reconnected;
    const outcome = await following;
    expect(outcome.status === 'success' && outcome.images).toEqual([image]);
  });

  it('collects through the slow poll alone when the socket silently stopped receiving', async () => {
    const { server, stream, state } = await setup();
    state.run(P);
    const following = followPrompt(state, stream, P, { pollIntervalMs: 30 });
    await stream.waitConnected();
    server.sockets.delete('svc-1'); // deaf: the server no longer routes to us
    state.finish(P);
    expect((await following).status).toBe('success');
  });

  it('forces a reconnect when no message arrives while the prompt runs', async () => {
    const { server, stream, state } = await setup();
    state.run(P);
    const following = followPrompt(state, stream, P, { pollIntervalMs: 20, deafAfterMs: 100 });
    await stream.waitConnected();
    server.sockets.delete('svc-1');
    await expect.poll(() => stream.generation, { timeout: 3_000 }).toBeGreaterThan(1);
    expect(server.send('svc-1', 'execution_error', { prompt_id: P, node_id: '3', node_type: 'KSampler', executed: [], exception_message: 'CUDA out of memory. Tried to allocate 2 GiB\n', exception_type: 'torch.OutOfMemoryError', traceback: [], current_inputs: {}, current_outputs: [] })).toBe(true);
    const outcome = await following;
    expect(outcome.status === 'error' && outcome.error.code).toBe(ErrorCode.OutOfMemory);
  });

  it('reads errors and interrupts from history when the events were missed', async () => {
    const { stream, state } = await setup();
    state.finish(P, {
      outputs: {},
      status: {
        status_str: 'error',
        completed: false,
        messages: [['execution_error', { prompt_id: P, node_id: '4', node_type: 'CheckpointLoaderSimple', executed: [], exception_message: "Model in folder 'checkpoints' with filename 'a.safetensors' not found.\n", exception_type: 'FileNotFoundError', traceback: [], current_inputs: {}, current_outputs: [] }]],
      },
    });
    const missing = await followPrompt(state, stream, P, { pollIntervalMs: 60_000 });
    expect(missing.status === 'error' && missing.error.code).toBe(ErrorCode.ModelMissing);

    state.finish('p2', { outputs: {}, status: { status_str: 'error', completed: false, messages: [['execution_interrupted', { prompt_id: 'p2', node_id: '3', node_type: 'KSampler', executed: [] }]] } });
    expect((await followPrompt(state, stream, 'p2', { pollIntervalMs: 60_000 })).status).toBe('interrupted');
  });

  it('reports a prompt that is nowhere as unknown, but not while ComfyUI is unreachable', async () => {
    const { stream, state } = await setup();
    state.down = true;
    const following = followPrompt(state, stream, P, { pollIntervalMs: 20 });
    await expect.poll(() => state.queueCalls).toBeGreaterThan(3);
    state.down = false;
    const outcome = await following;
    expect(outcome).toMatchObject({ status: 'unknown', promptId: P });
  });

  it('stops on timeout and on abort with typed errors', async () => {
    const { stream, state } = await setup();
    state.run(P);
    await expect(followPrompt(state, stream, P, { pollIntervalMs: 60_000, timeoutMs: 50 })).rejects.toMatchObject({ code: ErrorCode.Timeout });
    const ac = new AbortController();
    const following = followPrompt(state, stream, P, { pollIntervalMs: 60_000, signal: ac.signal });
    ac.abort();
    await expect(following).rejects.toMatchObject({ code: ErrorCode.Cancelled });
  });
});
