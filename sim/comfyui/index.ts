/**
 * sim/comfyui: a stand-in ComfyUI (HTTP + WebSocket) on loopback, faithful to shared/comfyui/API.md,
 * with a simulated GPU that writes real PNGs and test-only fault switches.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { CUSTOM_NODES, isCustomNode } from './custom-nodes.ts';
import type { SimDirs } from './files.ts';
import type { ObjectInfoVersion } from './objectInfo.ts';
import type { ProxyAccess } from './proxy.ts';
import { ComfyHttpServer } from './server.ts';
import { ComfyState, type SimExecution } from './state.ts';

export type { SimExecution } from './state.ts';
export type { ProxyAccess } from './proxy.ts';

/** The ComfyUI release the stand-in behaves like (API.md §0; '0.38' = the NEWER deltas of §9). */
export type SimVersion = '0.3.64' | '0.38';
export const simVersions: readonly SimVersion[] = ['0.3.64', '0.38'];
export { readTextChunks } from './images.ts';
export { loads as parsePythonJson, dumps as dumpPythonJson } from './pyjson.ts';

export interface ComfySimOptions {
  host?: string;
  port?: number;
  /** folder → file names; given folders replace the defaults (see models.ts DEFAULT_MODELS). */
  models?: Partial<Record<string, string[]>>;
  secondsPerStep?: number;
  previews?: boolean;
  outputDir?: string;
  /** Default '0.3.64'. '0.38': canonical-UUID prompt ids, create_time, /api/jobs, newer object_info, … */
  version?: SimVersion;
  /** @deprecated use `version`; 'newer' is the same as version '0.38'. */
  objectInfo?: ObjectInfoVersion;
  /** Custom node classes installed on this instance only (see custom-nodes.ts, e.g. 'SimImageTint'). */
  customNodes?: string[];
  /** `folder/file` → safetensors `__metadata__`, added to the defaults (models.ts DEFAULT_MODEL_METADATA). */
  modelMetadata?: Record<string, Record<string, string>>;
  /** Test-only: sit behind a reverse proxy with a base path and/or a bearer token. */
  proxy?: ProxyAccess;
}

export type SimEvent = 'execution_start' | 'execution_success' | 'execution_error' | 'execution_interrupted' | 'idle';

export interface ComfySim {
  /** Where ComfyUI is, including the proxy base path if any (no trailing slash). */
  readonly url: string;
  readonly version: SimVersion;
  readonly port: number;
  readonly outputDir: string;
  readonly inputDir: string;
  readonly tempDir: string;
  readonly executions: SimExecution[];
  /** `METHOD /path` of the latest HTTP requests that reached ComfyUI (oldest first, at most 1000). */
  readonly requests: readonly string[];
  /** Every HTTP request that reached ComfyUI since start, counted by `METHOD /first-segment` (`GET /history`; `/api/x` counts as `/x`). */
  readonly requestCounts: ReadonlyMap<string, number>;
  setSecondsPerStep(s: number): void;
  setModels(folder: string, files: string[]): void;
  removeModel(folder: string, file: string): void;
  pause(): void;
  resume(): void;
  refuseConnections(on: boolean): Promise<void>;
  /**
   * The server stops answering with its state kept (a hung or unplugged host): the GPU stops at the
   * next step, open connections are cut and new ones refused. `thaw()` brings it back, queue intact.
   */
  freeze(): Promise<void>;
  thaw(): Promise<void>;
  failNextRequests(n: number, opts?: { status?: number; pathPrefix?: string }): void;
  dropSockets(opts?: { afterProgressEvents?: number }): void;
  oomNext(n?: number): void;
  /** Forgets every pending fault (failNextRequests, dropSockets, oomNext). */
  clearFaults(): void;
  crash(opts?: { keepHistory?: boolean }): Promise<void>;
  restart(): Promise<void>;
  waitFor(event: SimEvent, promptId?: string, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

function makeDirs(outputDir: string | undefined): { dirs: SimDirs; base: string } {
  const base = mkdtempSync(path.join(tmpdir(), 'comfy-sim-'));
  const dirs = { output: path.resolve(outputDir ?? path.join(base, 'output')), input: path.join(base, 'input'), temp: path.join(base, 'temp') };
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
  return { dirs, base };
}

export async function startComfySim(opts: ComfySimOptions = {}): Promise<ComfySim> {
  const unknown = (opts.customNodes ?? []).filter((n) => !isCustomNode(n));
  if (unknown.length) throw new Error(`sim/comfyui: no custom node ${unknown.join(', ')} (known: ${Object.keys(CUSTOM_NODES).join(', ')})`);
  const { dirs, base } = makeDirs(opts.outputDir);
  await sharp({ create: { width: 64, height: 64, channels: 3, background: '#3a6ea5' } }).png().toFile(path.join(dirs.input, 'example.png'));
  const version: SimVersion = opts.version ?? (opts.objectInfo === 'newer' ? '0.38' : '0.3.64');
  const state = new ComfyState({
    dirs, models: opts.models ?? {}, secondsPerStep: opts.secondsPerStep ?? 0.005, previews: opts.previews ?? false, objectInfo: version === '0.38' ? 'newer' : 'default',
    customNodes: opts.customNodes, modelMetadata: opts.modelMetadata,
  });
  const host = opts.host ?? '127.0.0.1';
  const server = new ComfyHttpServer(host, opts.port ?? 0, () => state, opts.proxy);
  const basePath = opts.proxy?.basePath?.replace(/\/+$/, '') ?? '';
  await server.listen();
  const startWorker = () => void state.runWorker().catch((err: unknown) => console.error('sim/comfyui worker failed', err));
  startWorker();
  const seen = new Map<string, Set<string>>();
  for (const ev of ['execution_start', 'execution_success', 'execution_error', 'execution_interrupted']) {
    state.events.on(ev, (promptId: string) => {
      if (!seen.has(ev)) seen.set(ev, new Set());
      seen.get(ev)!.add(promptId);
    });
  }
  let closed = false;

  const sim: ComfySim = {
    get url() {
      return `http://${host.includes(':') ? `[${host}]` : host}:${server.port}${basePath}`;
    },
    version,
    get port() {
      return server.port;
    },
    outputDir: dirs.output,
    inputDir: dirs.input,
    tempDir: dirs.temp,
    executions: state.executions,
    requests: server.requests,
    requestCounts: server.requestCounts,
    setSecondsPerStep: (s) => {
      state.secondsPerStep = s;
    },
    setModels: (folder, files) => state.models.set(folder, files),
    removeModel: (folder, file) => state.models.remove(folder, file),
    pause: () => state.pause(),
    resume: () => state.resume(),
    refuseConnections: async (on) => {
      if (on) await server.stopListening(false);
      else await server.listen();
    },
    freeze: async () => {
      state.pause();
      await server.stopListening(true);
    },
    thaw: async () => {
      await server.listen();
      state.resume();
    },
    failNextRequests: (n, o = {}) => state.faults.failNextRequests(n, o.status ?? 500, o.pathPrefix),
    dropSockets: (o = {}) => {
      if (o.afterProgressEvents === undefined) state.hub.dropAll();
      else state.faults.dropSocketsAfter(o.afterProgressEvents);
    },
    oomNext: (n = 1) => state.faults.oomNext(n),
    clearFaults: () => state.faults.reset(),
    crash: async (o = {}) => {
      state.crash(o.keepHistory ?? false);
      await server.stopListening(true);
    },
    restart: async () => {
      state.hub = state.newHub();
      await server.listen();
      startWorker();
    },
    waitFor: (event, promptId, timeoutMs = 10_000) => new Promise<void>((resolve, reject) => {
      if (event === 'idle' ? state.isIdle() : promptId !== undefined && seen.get(event)?.has(promptId)) return resolve();
      const timer = setTimeout(() => {
        state.events.off(event, listener);
        reject(new Error(`sim/comfyui: no ${event}${promptId ? ` for ${promptId}` : ''} within ${timeoutMs} ms`));
      }, timeoutMs);
      const listener = (id?: string) => {
        if (promptId !== undefined && event !== 'idle' && id !== promptId) return;
        clearTimeout(timer);
        state.events.off(event, listener);
        resolve();
      };
      state.events.on(event, listener);
    }),
    close: async () => {
      if (closed) return;
      closed = true;
      state.stop();
      await server.stopListening(true);
      rmSync(base, { recursive: true, force: true }); // input/temp (and output unless the caller chose it)
    },
  };
  return sim;
}
