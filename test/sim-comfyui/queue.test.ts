import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startComfySim, type ComfySim } from '#sim/comfyui/index.ts';
import { finished, getJson, postJson, postPrompt, txt2img, WsClient } from './helpers.ts';

let sim: ComfySim;
beforeAll(async () => {
  sim = await startComfySim({ secondsPerStep: 0.002 });
});
afterAll(() => sim.close());
beforeEach(async () => {
  sim.resume();
  await sim.waitFor('idle');
});

type QueueBody = { queue_running: [number, string, unknown, Record<string, unknown>, string[]][]; queue_pending: [number, string, unknown, Record<string, unknown>, string[]][] };

describe('§3.2–§3.7, §6 queue, interrupt and history', () => {
  it('§3.3/§6 /queue shows 5-tuples; run order is by number (front first, explicit number wins), §3.2 queue_remaining', async () => {
    sim.pause();
    const a = await postPrompt(sim, txt2img({ text: 'a' }), { client_id: 'q' });
    const b = await postPrompt(sim, txt2img({ text: 'b' }), { client_id: 'q' });
    const front = await postPrompt(sim, txt2img({ text: 'front' }), { front: true });
    const numbered = await postPrompt(sim, txt2img({ text: 'n' }), { number: -1000 });
    const q = (await getJson(sim, '/api/queue')) as QueueBody;
    expect(q.queue_running).toEqual([]);
    expect(q.queue_pending).toHaveLength(4);
    const item = q.queue_pending.find((i) => i[1] === a.body.prompt_id)!;
    expect(item[3]).toEqual({ client_id: 'q' });
    expect(item[4]).toEqual(['9']);
    const order = [...q.queue_pending].sort((x, y) => x[0] - y[0]).map((i) => i[1]);
    expect(order).toEqual([numbered.body.prompt_id, front.body.prompt_id, a.body.prompt_id, b.body.prompt_id]);
    expect(await getJson(sim, '/prompt')).toEqual({ exec_info: { queue_remaining: 4 } });
    sim.resume();
    await sim.waitFor('idle');
    expect(sim.executions.slice(-4).map((e) => e.promptId)).toEqual(order);
  });

  it('§3.4 POST /queue delete removes only pending items, emits status (two for the last one), no history', async () => {
    const ws = await WsClient.open(sim, 'watch-del');
    sim.pause();
    const a = await postPrompt(sim, txt2img({ text: 'del a' }));
    const b = await postPrompt(sim, txt2img({ text: 'del b' }));
    const before = ws.messages.length;
    const res = await postJson(sim, '/queue', { delete: [a.body.prompt_id, 'unknown-id'] });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
    await postJson(sim, '/queue', { delete: [b.body.prompt_id] });
    await ws.until((ms) => ms.length >= before + 3);
    expect(ws.messages.slice(before).map((m) => m.data.status)).toEqual([
      { exec_info: { queue_remaining: 1 } }, { exec_info: { queue_remaining: 0 } }, { exec_info: { queue_remaining: 0 } },
    ]);
    expect(await getJson(sim, `/history/${a.body.prompt_id as string}`)).toEqual({});
    await postPrompt(sim, txt2img({ text: 'clear me' }));
    await postJson(sim, '/queue', { clear: true });
    expect(((await getJson(sim, '/queue')) as QueueBody).queue_pending).toEqual([]);
    ws.close();
  });

  it('§3.5 /interrupt with a pending prompt_id is a no-op; with the running one → execution_interrupted and history error', async () => {
    const ws = await WsClient.open(sim, 'int');
    sim.setSecondsPerStep(0.02);
    const running = await postPrompt(sim, txt2img({ text: 'long', steps: 200 }), { client_id: 'int' });
    const pending = await postPrompt(sim, txt2img({ text: 'waiting' }), { client_id: 'int' });
    const rid = running.body.prompt_id as string;
    await ws.until((ms) => ms.some((m) => m.type === 'progress' && m.data.prompt_id === rid));
    expect((await postJson(sim, '/interrupt', { prompt_id: pending.body.prompt_id })).status).toBe(200);
    expect((await fetch(`${sim.url}/interrupt`, { method: 'POST', body: 'not json' })).status).toBe(200); // global, tolerant body
    await ws.until(finished(rid));
    sim.setSecondsPerStep(0.002);
    const interrupted = ws.messages.find((m) => m.type === 'execution_interrupted')!;
    expect(interrupted.data).toMatchObject({ prompt_id: rid, node_id: '3', node_type: 'KSampler' });
    expect(interrupted.data.executed).toEqual(['6']); // loaders, latent and negative text were cached by earlier prompts
    const hist = (await getJson(sim, `/history/${rid}`)) as Record<string, { status: { status_str: string; completed: boolean; messages: [string][] } }>;
    expect(hist[rid]!.status).toMatchObject({ status_str: 'error', completed: false });
    expect(hist[rid]!.status.messages.at(-1)![0]).toBe('execution_interrupted');
    await ws.until(finished(pending.body.prompt_id as string));
    expect(ws.messages.some((m) => m.type === 'execution_success' && m.data.prompt_id === pending.body.prompt_id)).toBe(true);
    expect(sim.executions.find((e) => e.promptId === rid)!.status).toBe('interrupted');
    ws.close();
  });

  it('§3.6 /history/{id} is {} for pending and unknown ids; max_items/offset window; POST /history delete and clear', async () => {
    sim.pause();
    const p = await postPrompt(sim, txt2img({ text: 'pending hist' }));
    expect(await getJson(sim, `/history/${p.body.prompt_id as string}`)).toEqual({});
    expect(await getJson(sim, '/history/does-not-exist')).toEqual({});
    sim.resume();
    await sim.waitFor('idle');
    const all = Object.keys((await getJson(sim, '/history')) as object);
    expect(all.at(-1)).toBe(p.body.prompt_id);
    expect(Object.keys((await getJson(sim, '/history?max_items=2')) as object)).toEqual(all.slice(-2));
    expect(Object.keys((await getJson(sim, '/history?max_items=1&offset=1')) as object)).toEqual(all.slice(1, 2));
    expect((await fetch(`${sim.url}/history?max_items=x`)).status).toBe(500);
    expect((await postJson(sim, '/history', { delete: [all[0]] })).status).toBe(200);
    expect(await getJson(sim, `/history/${all[0]!}`)).toEqual({});
    await postJson(sim, '/history', { clear: true });
    expect(await getJson(sim, '/history')).toEqual({});
  });

  it('§3.14 POST /free resets the cache so an identical prompt runs again', async () => {
    const prompt = txt2img({ text: 'free me', prefix: 'free/x' });
    const r1 = await postPrompt(sim, prompt);
    await sim.waitFor('execution_success', r1.body.prompt_id as string);
    expect((await postJson(sim, '/free', { free_memory: true })).status).toBe(200);
    await sim.waitFor('idle');
    const r2 = await postPrompt(sim, prompt);
    await sim.waitFor('execution_success', r2.body.prompt_id as string);
    await sim.waitFor('idle');
    const hist = (await getJson(sim, `/history/${r2.body.prompt_id as string}`)) as Record<string, { outputs: Record<string, { images: { filename: string }[] }> }>;
    expect(hist[r2.body.prompt_id as string]!.outputs['9']!.images[0]!.filename).toBe('x_00002_.png');
  });
});
