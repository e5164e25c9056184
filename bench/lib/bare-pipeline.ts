// The same job as one of our generations, done by the plainest script with no queue and no
// database: what a hand-rolled bot does per request. Submit the workflow, follow it over ComfyUI's
// WebSocket, download the output (`/view`), store it with its sha256, edit the deferred reply with
// the image attached through the interaction token, and make and store the same thumbnails. The
// thumbnails are made by our own makeThumbnails (one decode, equal encodes made once; measured
// against bare sharp in bench/thumbnails.ts), so this anchor does no more image work than we do and
// the gap to it is what the queue, the database and the scheduler's bookkeeping cost. A slot is
// handed to the next prompt as soon as ComfyUI reports the end, while the outputs are handled beside
// it (as our scheduler does), so the GPUs are kept as busy as ours.
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { REST } from '@discordjs/rest';
import { ButtonStyle, ComponentType, Routes } from 'discord-api-types/v10';
import type { ImageRef } from '#shared/comfyui/api-types.ts';
import { stringifyJsonLossless } from '#shared/comfyui/json.ts';
import { makeThumbnails } from '#shared/images/thumbnails.ts';

export interface BareRequest {
  graph: Record<string, unknown>;
  prompt: string;
  applicationId: string;
  interactionToken: string;
}

interface Waiter {
  images: ImageRef[];
  resolve: (images: ImageRef[]) => void;
  reject: (err: Error) => void;
}

/** One ComfyUI instance: a WebSocket under our client id, and the prompts waiting for their end. */
class BareInstance {
  readonly #waiters = new Map<string, Waiter>();

  readonly url: string;
  readonly #ws: WebSocket;

  readonly #clientId: string;

  private constructor(url: string, ws: WebSocket, clientId: string) {
    this.url = url;
    this.#ws = ws;
    this.#clientId = clientId;
  }

  static async open(url: string): Promise<BareInstance> {
    const clientId = randomUUID();
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws?clientId=${clientId}`);
    const instance = new BareInstance(url, ws, clientId);
    ws.addEventListener('message', (ev) => instance.#onMessage(ev.data));
    await new Promise<void>((resolve, reject) => {
      ws.addEventListener('open', () => resolve(), { once: true });
      ws.addEventListener('error', () => reject(new Error(`WebSocket to ${url} failed`)), { once: true });
    });
    return instance;
  }

  #onMessage(data: unknown): void {
    if (typeof data !== 'string') return; // previews
    const { type, data: body } = JSON.parse(data) as { type: string; data: { prompt_id?: string; output?: { images?: ImageRef[] } } };
    const waiter = body.prompt_id ? this.#waiters.get(body.prompt_id) : undefined;
    if (!waiter) return;
    if (type === 'executed') waiter.images.push(...(body.output?.images ?? []));
    else if (type === 'execution_success') {
      this.#waiters.delete(body.prompt_id!);
      waiter.resolve(waiter.images);
    } else if (type === 'execution_error' || type === 'execution_interrupted') {
      this.#waiters.delete(body.prompt_id!);
      waiter.reject(new Error(`prompt ${body.prompt_id} ended with ${type}`));
    }
  }

  /** Runs one workflow; its output images once ComfyUI says it succeeded. */
  async run(graph: Record<string, unknown>): Promise<ImageRef[]> {
    const promptId = randomUUID();
    const ended = new Promise<ImageRef[]>((resolve, reject) => this.#waiters.set(promptId, { images: [], resolve, reject }));
    const res = await fetch(`${this.url}/prompt`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      // The seed is a BigInt (ComfyUI takes 64-bit seeds): written as a JSON number, as our client does.
      body: stringifyJsonLossless({ prompt: graph, client_id: this.#clientId, prompt_id: promptId }),
    });
    if (!res.ok) throw new Error(`POST /prompt: ${res.status} ${await res.text()}`);
    await res.arrayBuffer();
    return ended;
  }

  async download(image: ImageRef): Promise<Buffer> {
    const q = new URLSearchParams({ filename: image.filename, subfolder: image.subfolder, type: image.type });
    const res = await fetch(`${this.url}/view?${q}`);
    if (!res.ok) throw new Error(`GET /view: ${res.status}`);
    return Buffer.from(await res.arrayBuffer());
  }

  close(): void {
    this.#ws.close();
  }
}

async function store(file: string, data: Buffer): Promise<string> {
  await writeFile(file, data);
  return createHash('sha256').update(data).digest('hex');
}

/** Everything after ComfyUI's end: download, store, reply with the image, thumbnails. */
async function finish(instance: BareInstance, rest: REST, dir: string, index: number, request: BareRequest, images: ImageRef[]): Promise<void> {
  const folder = path.join(dir, String(index));
  await mkdir(folder, { recursive: true });
  const originals = await Promise.all(images.map(async (image, i) => {
    const data = await instance.download(image);
    return { name: `${i}.png`, data, sha256: await store(path.join(folder, `${i}.png`), data) };
  }));
  const shown = originals[0]!;
  await rest.patch(Routes.webhookMessage(request.applicationId, request.interactionToken, '@original'), {
    auth: false,
    files: [{ name: shown.name, data: shown.data, contentType: 'image/png' }],
    body: {
      content: '',
      embeds: [{ title: 'Done', description: request.prompt, image: { url: `attachment://${shown.name}` }, footer: { text: shown.sha256.slice(0, 12) } }],
      attachments: [{ id: '0', filename: shown.name }],
      components: [{
        type: ComponentType.ActionRow,
        components: [
          { type: ComponentType.Button, style: ButtonStyle.Secondary, custom_id: `same:1:${index}`, emoji: { name: '🔁' } },
          { type: ComponentType.Button, style: ButtonStyle.Secondary, custom_id: `new:1:${index}`, emoji: { name: '🎲' } },
        ],
      }],
    },
  });
  for (const original of originals) {
    const thumbnails = await makeThumbnails(original.data);
    await Promise.all(thumbnails.map((t) => store(path.join(folder, `${original.name}.${t.size}.${t.format}`), t.data)));
  }
}

/**
 * Runs every request through `depth` slots per instance; resolves when every reply is edited and
 * every thumbnail stored. Returns the wall time from the first submit.
 */
export async function runBarePipeline(
  urls: string[], depth: number, requests: BareRequest[], discord: { apiBase: string }, dir: string,
): Promise<{ seconds: number }> {
  const instances = await Promise.all(urls.map((u) => BareInstance.open(u)));
  const rest = new REST({ api: discord.apiBase, globalRequestsPerSecond: Number.POSITIVE_INFINITY });
  const pending: Promise<void>[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: urls.length * depth }, async (_, slot) => {
      const instance = instances[slot % instances.length]!;
      for (let i = next++; i < requests.length; i = next++) {
        const request = requests[i]!;
        const images = await instance.run(request.graph);
        pending.push(finish(instance, rest, dir, i, request, images));
      }
    }),
  );
  await Promise.all(pending);
  const seconds = (performance.now() - started) / 1000;
  for (const instance of instances) instance.close();
  return { seconds };
}
