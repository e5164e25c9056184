import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startComfySim, type ComfySim } from '#sim/comfyui/index.ts';
import { finished, getJson, postPrompt, txt2img, WsClient } from './helpers.ts';

let sim: ComfySim;
beforeAll(async () => {
  sim = await startComfySim({ secondsPerStep: 0.002 });
});
afterAll(() => sim.close());

describe('§5 WebSocket', () => {
  it('§5.1 connect sends status with sid (generated as 32 hex chars when clientId is absent), also at /api/ws', async () => {
    const anon = await WsClient.open(sim, undefined, '/api/ws');
    expect(anon.messages[0]).toEqual({ type: 'status', data: { status: { exec_info: { queue_remaining: 0 } }, sid: expect.stringMatching(/^[0-9a-f]{32}$/) } });
    anon.close();
    const named = await WsClient.open(sim, 'svc-named');
    expect(named.messages[0]!.data.sid).toBe('svc-named');
    named.close();
  });

  it('§5.4 event order for one client: status, start, cached, per-node progress_state/executing, progress×steps, executed, success, status, executing null', async () => {
    const c = await WsClient.open(sim, 'svc-1');
    const from = c.messages.length;
    const { body } = await postPrompt(sim, txt2img({ text: 'order test', steps: 3 }), { client_id: 'svc-1' });
    const pid = body.prompt_id as string;
    await c.until(finished(pid));
    const trace = c.trace(pid, from);
    expect(trace.slice(0, 4)).toEqual(['status', 'status', 'execution_start', 'execution_cached']);
    expect(trace.slice(-4)).toEqual(['progress_state', 'execution_success', 'status', 'executing:null']);
    expect(trace.filter((t) => t === 'progress')).toHaveLength(3);
    const ksampler = trace.indexOf('executing:3');
    expect(trace.slice(ksampler + 1, ksampler + 3)).toEqual(['progress_state', 'progress']);
    expect(trace.indexOf('executed:9')).toBeGreaterThan(trace.indexOf('executing:9'));
    expect(trace.filter((t) => t.startsWith('executing:')).sort()).toEqual(['executing:10', 'executing:3', 'executing:4', 'executing:5', 'executing:6', 'executing:7', 'executing:8', 'executing:9', 'executing:null'].sort());
    const progress = c.messages.filter((m) => m.type === 'progress').map((m) => m.data);
    expect(progress[0]).toEqual({ value: 1, max: 3, prompt_id: pid, node: '3' });
    const executed = c.messages.find((m) => m.type === 'executed')!.data;
    expect(executed).toEqual({ node: '9', display_node: '9', output: { images: [{ filename: 'job_00001_.png', subfolder: 'test', type: 'output' }] }, prompt_id: pid });
    const finalState = c.messages.filter((m) => m.type === 'progress_state').at(-1)!.data.nodes as Record<string, { state: string }>;
    expect(Object.values(finalState).every((n) => n.state === 'finished')).toBe(true);
    c.close();
  });

  it('§6 history is written before executing null (and is {} while running)', async () => {
    const c = await WsClient.open(sim, 'svc-h');
    const { body } = await postPrompt(sim, txt2img({ text: 'history order' }), { client_id: 'svc-h' });
    const pid = body.prompt_id as string;
    await c.until(finished(pid));
    const hist = (await getJson(sim, `/history/${pid}`)) as Record<string, { status: { status_str: string; messages: [string][] } }>;
    expect(hist[pid]!.status.status_str).toBe('success');
    expect(hist[pid]!.status.messages.map((m) => m[0])).toEqual(['execution_start', 'execution_cached', 'execution_success']);
    c.close();
  });

  it('§5.3 two clients: per-prompt events go only to the owner, both see status', async () => {
    const a = await WsClient.open(sim, 'svc-a');
    const b = await WsClient.open(sim, 'svc-b');
    const { body } = await postPrompt(sim, txt2img({ text: 'two clients' }), { client_id: 'svc-a' });
    const pid = body.prompt_id as string;
    await a.until(finished(pid));
    await b.until((ms) => ms.filter((m) => m.type === 'status').length >= 4);
    expect(b.messages.every((m) => m.type === 'status')).toBe(true);
    expect(a.messages.some((m) => m.type === 'progress')).toBe(true);
    a.close();
    b.close();
  });

  it('§5.3 without client_id: progress and progress_state are broadcast, executing/execution_* are sent to nobody', async () => {
    const a = await WsClient.open(sim, 'listener');
    const { body } = await postPrompt(sim, txt2img({ text: 'no client' }));
    const pid = body.prompt_id as string;
    await sim.waitFor('execution_success', pid);
    await a.until((ms) => ms.filter((m) => m.type === 'status').length >= 4);
    const types = new Set(a.trace(pid));
    expect(types).toEqual(new Set(['status', 'progress', 'progress_state']));
    a.close();
  });

  it('§5.4 cached re-run: execution_cached lists every node, executed replays the old files, no executing per node, no new files', async () => {
    const c = await WsClient.open(sim, 'svc-c');
    const prompt = txt2img({ text: 'cache me', prefix: 'cache/run' });
    const first = await postPrompt(sim, prompt, { client_id: 'svc-c' });
    await c.until(finished(first.body.prompt_id as string));
    const from = c.messages.length;
    const second = await postPrompt(sim, prompt, { client_id: 'svc-c' });
    const pid = second.body.prompt_id as string;
    await c.until(finished(pid));
    expect(c.messages.find((m) => m.type === 'execution_cached' && m.data.prompt_id === pid)!.data.nodes).toEqual(['4', '10', '6', '7', '5', '3', '8', '9']);
    expect(c.trace(pid, from)).toEqual(['status', 'status', 'execution_start', 'execution_cached', 'executed:9', 'progress_state', 'execution_success', 'status', 'executing:null']);
    const replay = c.messages.find((m) => m.type === 'executed' && m.data.prompt_id === pid)!.data.output;
    expect(replay).toEqual({ images: [{ filename: 'run_00001_.png', subfolder: 'cache', type: 'output' }] });
    const hist = (await getJson(sim, `/history/${pid}`)) as Record<string, { outputs: unknown }>;
    expect(hist[pid]!.outputs).toEqual({ 9: replay });
    c.close();
  });

  it('§5.1 reconnect with the same clientId replaces the mapping; closing the old socket silences the new one (quirk)', async () => {
    const old = await WsClient.open(sim, 'dup');
    const fresh = await WsClient.open(sim, 'dup');
    old.close();
    await old.untilClosed();
    await new Promise((r) => setTimeout(r, 20)); // let the server process the close frame
    const watcher = await WsClient.open(sim, 'watcher');
    const { body } = await postPrompt(sim, txt2img({ text: 'quirk' }), { client_id: 'dup' });
    await sim.waitFor('execution_success', body.prompt_id as string);
    await watcher.until((ms) => ms.filter((m) => m.type === 'status').length >= 4);
    expect(fresh.messages.map((m) => m.type)).toEqual(['status']); // nothing after connect, not even broadcasts
    watcher.close();
    fresh.close();
  });
});

describe('§5.5 binary previews', () => {
  it('§5.5 previews off by default; on: type 1 JPEG frames, type 4 after feature_flags negotiation', async () => {
    const off = await WsClient.open(sim, 'nopreview');
    const r0 = await postPrompt(sim, txt2img({ text: 'no previews' }), { client_id: 'nopreview' });
    await off.until(finished(r0.body.prompt_id as string));
    expect(off.binary).toHaveLength(0);
    off.close();

    const withPreviews = await startComfySim({ previews: true, secondsPerStep: 0.001 });
    try {
      const plain = await WsClient.open(withPreviews, 'plain');
      const r1 = await postPrompt(withPreviews, txt2img({ steps: 2 }), { client_id: 'plain' });
      await plain.until(finished(r1.body.prompt_id as string));
      expect(plain.binary).toHaveLength(2);
      expect(plain.binary[0]!.readUInt32BE(0)).toBe(1);
      expect(plain.binary[0]!.readUInt32BE(4)).toBe(1);
      expect([...plain.binary[0]!.subarray(8, 11)]).toEqual([0xff, 0xd8, 0xff]);

      const meta = await WsClient.open(withPreviews, 'meta');
      meta.ws.send(JSON.stringify({ type: 'feature_flags', data: { supports_preview_metadata: true } }));
      await meta.until((ms) => ms.some((m) => m.type === 'feature_flags'));
      expect(meta.messages.find((m) => m.type === 'feature_flags')!.data.supports_preview_metadata).toBe(true);
      const r2 = await postPrompt(withPreviews, txt2img({ steps: 2, text: 'meta' }), { client_id: 'meta' });
      const pid = r2.body.prompt_id as string;
      await meta.until(finished(pid));
      const frame = meta.binary[0]!;
      expect(frame.readUInt32BE(0)).toBe(4);
      const len = frame.readUInt32BE(4);
      const info = JSON.parse(frame.subarray(8, 8 + len).toString()) as Record<string, unknown>;
      expect(info).toMatchObject({ node_id: '3', prompt_id: pid, display_node_id: '3', image_type: 'image/jpeg' });
      expect([...frame.subarray(8 + len, 8 + len + 3)]).toEqual([0xff, 0xd8, 0xff]);
      plain.close();
      meta.close();
    } finally {
      await withPreviews.close();
    }
  });
});
