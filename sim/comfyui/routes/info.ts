/** Read-only info routes: object_info, models, embeddings, system_stats, features, extensions. */
import { inputImages } from '../files.ts';
import { sendEmpty, sendJson } from '../http.ts';
import { currentObjectInfo } from '../objectInfo.ts';
import { pyFloat } from '../pyjson.ts';
import type { ComfyState } from '../state.ts';
import type { Route } from './types.ts';

const objectInfo = (state: ComfyState) => currentObjectInfo(state.version, state.models, inputImages(state.dirs.input), state.customNodes);

function systemStats(state: ComfyState) {
  const newer = state.version === 'newer';
  return {
    system: {
      os: newer ? 'linux' : 'posix', ram_total: 134217728000, ram_free: 120000000000, comfyui_version: newer ? '0.38.1' : '0.3.64',
      required_frontend_version: '1.28.6', installed_templates_version: '0.1.95', required_templates_version: '0.1.95',
      python_version: '3.12.3 (main, Sep 11 2025, 14:09:09) [GCC 13.2.0]', pytorch_version: '2.8.0+cu128', embedded_python: false,
      argv: ['main.py', '--listen'],
    },
    devices: [{
      name: 'cuda:0 NVIDIA GeForce RTX 4090 : cudaMallocAsync', type: 'cuda', index: 0, vram_total: 25386352640, vram_free: 24000000000,
      torch_vram_total: 0, torch_vram_free: 0,
    }],
  };
}

export const infoRoutes: Route[] = [
  { method: 'GET', path: '/object_info', handler: (_q, res, state) => sendJson(res, objectInfo(state)) },
  {
    method: 'GET', path: /^\/object_info\/(.+)$/,
    handler: (_q, res, state, [name]) => {
      const info = objectInfo(state).get(name!);
      sendJson(res, info === undefined ? {} : new Map([[name!, info]]));
    },
  },
  { method: 'GET', path: '/models', handler: (_q, res, state) => sendJson(res, state.models.folders()) },
  {
    method: 'GET', path: /^\/models\/([^/]+)$/,
    handler: (_q, res, state, [folder]) => {
      const files = state.models.list(folder!);
      if (!files) return sendEmpty(res, 404);
      sendJson(res, files);
    },
  },
  {
    // server.py view_metadata: a .safetensors file of the folder whose header has `__metadata__`, else an empty 404.
    method: 'GET', path: /^\/view_metadata\/([^/]+)$/,
    handler: (req, res, state, [folder]) => {
      const filename = req.query.get('filename');
      if (filename === null || !filename.endsWith('.safetensors') || !state.models.has(folder!, filename)) return sendEmpty(res, 404);
      const metadata = state.modelMetadata[`${folder}/${filename}`];
      if (!metadata) return sendEmpty(res, 404);
      sendJson(res, metadata);
    },
  },
  { method: 'GET', path: '/embeddings', handler: (_q, res, state) => sendJson(res, (state.models.list('embeddings') ?? []).map((f) => f.replace(/\.[^./]*$/, ''))) },
  { method: 'GET', path: '/system_stats', handler: (_q, res, state) => sendJson(res, systemStats(state)) },
  { method: 'GET', path: '/features', handler: (_q, res, state) => sendJson(res, state.features()) },
  { method: 'GET', path: '/extensions', handler: (_q, res) => sendJson(res, []) },
  { method: 'GET', path: '/', handler: (_q, res) => sendJson(res, { sim: 'comfyui', note: 'stand-in: no frontend', max_upload_size: pyFloat(104857600) }) },
];
