import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Fallback for sim/comfyui (not written yet): a tiny ComfyUI that serves `/object_info` (the
 * recorded one with its loader combos replaced) and `/models/{folder}`, same interface subset.
 */
export interface ComfyStandIn {
  url: string;
  setModels(folder: string, files: string[]): void;
  refuseConnections(refuse: boolean): Promise<void>;
  /** Makes `/models/{folder}` answer 500 (a half-broken instance). */
  failFolder(folder: string | null): void;
  close(): Promise<void>;
}

const recorded = readFileSync(new URL('../../../shared/comfyui/object_info.json', import.meta.url), 'utf8');
const folderKeys = ['checkpoints', 'configs', 'loras', 'vae', 'text_encoders', 'diffusion_models', 'embeddings', 'upscale_models'];

export async function startComfyStandIn(opts: { models: Record<string, string[]> }): Promise<ComfyStandIn> {
  const models = new Map(Object.entries(opts.models));
  let failing: string | null = null;
  const objectInfo = () => {
    const info = JSON.parse(recorded);
    info.CheckpointLoaderSimple.input.required.ckpt_name[0] = [...(models.get('checkpoints') ?? [])];
    info.LoraLoader.input.required.lora_name[0] = [...(models.get('loras') ?? [])];
    info.VAELoader.input.required.vae_name[0] = [...(models.get('vae') ?? []), 'pixel_space'];
    return info;
  };
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').replace(/^\/api\//, '/').split('?')[0]!;
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(body === undefined ? '' : JSON.stringify(body));
    };
    if (path === '/object_info') return send(200, objectInfo());
    if (path === '/models') return send(200, folderKeys);
    const folder = /^\/models\/([^/]+)$/.exec(path)?.[1];
    if (folder !== undefined) {
      const name = decodeURIComponent(folder);
      if (name === failing) return send(500, { error: 'boom' });
      if (!folderKeys.includes(name)) return send(404, undefined);
      return send(200, [...(models.get(name) ?? [])].sort());
    }
    send(404, undefined);
  });
  const listen = (port: number) => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const stop = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  await listen(0);
  const port = (server.address() as AddressInfo).port;
  let refused = false;
  return {
    url: `http://127.0.0.1:${port}`,
    setModels: (folder, files) => void models.set(folder, files),
    failFolder: (folder) => void (failing = folder),
    async refuseConnections(refuse) {
      if (refuse === refused) return;
      refused = refuse;
      await (refuse ? stop() : listen(port));
    },
    close: () => (refused ? Promise.resolve() : stop()),
  };
}
