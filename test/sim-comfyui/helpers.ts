import WebSocket from 'ws';
import type { ComfySim } from '#sim/comfyui/index.ts';
import { loads, PyFloat, type PyValue } from '#sim/comfyui/pyjson.ts';

export interface WsMessage {
  type: string;
  data: Record<string, unknown>;
}

/** A txt2img + LoRA prompt (API.md §2) as raw JSON text, so node-id order is the document's. */
export function txt2img(opts: { text?: string; seed?: number | string; steps?: number; width?: number; height?: number; batch?: number; prefix?: string; ckpt?: string } = {}): string {
  const seed = opts.seed ?? 42;
  return `{
  "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": ${JSON.stringify(opts.ckpt ?? 'sd_xl_base_1.0.safetensors')}}},
  "10": {"class_type": "LoraLoader", "inputs": {"model": ["4", 0], "clip": ["4", 1], "lora_name": "add_detail.safetensors", "strength_model": 0.8, "strength_clip": 0.8}},
  "6": {"class_type": "CLIPTextEncode", "inputs": {"text": ${JSON.stringify(opts.text ?? 'a lighthouse at dusk')}, "clip": ["10", 1]}},
  "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "blurry", "clip": ["10", 1]}},
  "5": {"class_type": "EmptyLatentImage", "inputs": {"width": ${opts.width ?? 64}, "height": ${opts.height ?? 48}, "batch_size": ${opts.batch ?? 1}}},
  "3": {"class_type": "KSampler", "inputs": {"model": ["10", 0], "seed": ${seed}, "steps": ${opts.steps ?? 3}, "cfg": 7, "sampler_name": "euler", "scheduler": "normal", "positive": ["6", 0], "negative": ["7", 0], "latent_image": ["5", 0], "denoise": 1.0}},
  "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
  "9": {"class_type": "SaveImage", "inputs": {"images": ["8", 0], "filename_prefix": ${JSON.stringify(opts.prefix ?? 'test/job')}}}
}`;
}

/** POST /prompt with a raw JSON body built from parts (prompt is raw JSON text). */
export async function postPrompt(sim: ComfySim, prompt: string, extra: Record<string, unknown> = {}): Promise<{ status: number; body: Record<string, unknown>; text: string }> {
  const fields = Object.entries(extra).map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`);
  const res = await fetch(`${sim.url}/prompt`, { method: 'POST', body: `{"prompt": ${prompt}${fields.length ? `, ${fields.join(', ')}` : ''}}` });
  const text = await res.text();
  return { status: res.status, body: text.startsWith('{') ? (plain(loads(text)) as Record<string, unknown>) : {}, text };
}

export async function getJson(sim: ComfySim, path: string): Promise<unknown> {
  const res = await fetch(`${sim.url}${path}`);
  return res.json();
}

export async function postJson(sim: ComfySim, path: string, body: unknown): Promise<Response> {
  return fetch(`${sim.url}${path}`, { method: 'POST', body: JSON.stringify(body) });
}

/** A WebSocket client that records every message and can await one. */
export class WsClient {
  readonly ws: WebSocket;
  readonly messages: WsMessage[] = [];
  readonly binary: Buffer[] = [];
  private waiters: (() => void)[] = [];
  closed = false;

  constructor(url: string) {
    this.ws = new WebSocket(url);
    this.ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) this.binary.push(data);
      else this.messages.push(JSON.parse(data.toString()) as WsMessage);
      for (const w of this.waiters.splice(0)) w();
    });
    this.ws.on('close', () => {
      this.closed = true;
      for (const w of this.waiters.splice(0)) w();
    });
    this.ws.on('error', () => undefined);
  }

  static async open(sim: ComfySim, clientId?: string, path = '/ws'): Promise<WsClient> {
    const c = new WsClient(`${sim.url.replace('http', 'ws')}${path}${clientId ? `?clientId=${clientId}` : ''}`);
    await c.until((m) => m.some((x) => x.type === 'status'));
    return c;
  }

  /** Resolves once `pred(messages)` holds. */
  async until(pred: (messages: WsMessage[]) => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred(this.messages)) {
      if (Date.now() > deadline) throw new Error(`timed out; got ${this.messages.map((m) => m.type).join(',')}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 100);
      });
    }
  }

  async untilClosed(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('socket not closed');
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 100);
      });
    }
  }

  /** Messages of this prompt (and status) from index `from`, in order, as "type" or "type:node". */
  trace(promptId: string, from = 0): string[] {
    return this.messages
      .slice(from)
      .filter((m) => m.type === 'status' || m.data?.prompt_id === promptId)
      .map((m) => (m.type === 'executing' || m.type === 'executed' ? `${m.type}:${String(m.data.node)}` : m.type));
  }

  close(): void {
    this.ws.close();
  }
}

export const finished = (promptId: string) => (ms: WsMessage[]) => ms.some((m) => m.type === 'executing' && m.data.node === null && m.data.prompt_id === promptId);

/** POST /prompt with exactly these body bytes. */
export async function postRaw(sim: ComfySim, body: string | Buffer, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  const res = await fetch(`${sim.url}/prompt`, { method: 'POST', body: typeof body === 'string' ? body : new Uint8Array(body), headers });
  return { status: res.status, text: await res.text() };
}

export type HistoryEntry = { status: { status_str: string; completed: boolean; messages: [string, Record<string, unknown>][] }; outputs: Record<string, unknown>; prompt: unknown[] };

/** Python JSON (NaN, big ints) as plain JS data: dicts → objects, ints and floats → numbers. */
export function plain(v: PyValue): unknown {
  if (v instanceof PyFloat) return v.value;
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) return v.map(plain);
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [k, plain(x)]));
  return v;
}

/** The history entry of a prompt, once the worker has finished it. */
export async function historyOf(sim: ComfySim, promptId: string, timeoutMs = 10_000): Promise<HistoryEntry> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await (await fetch(`${sim.url}/history/${promptId}`)).text();
    const entry = (plain(loads(text)) as Record<string, HistoryEntry>)[promptId];
    if (entry) return entry;
    if (Date.now() > deadline) throw new Error(`no history for ${promptId} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let probes = 0;

/** Queues an ordinary txt2img prompt and expects the worker to finish it successfully. */
export async function expectWorkerServes(sim: ComfySim): Promise<void> {
  const { status, body } = await postPrompt(sim, txt2img({ seed: 1000 + probes++, prefix: 'probe/ok' }));
  if (status !== 200) throw new Error(`probe prompt refused with ${status}`);
  const entry = await historyOf(sim, body.prompt_id as string);
  if (entry.status.status_str !== 'success') throw new Error(`probe prompt ended with ${entry.status.status_str}`);
}
