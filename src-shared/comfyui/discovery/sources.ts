import type { ModelKind } from '#shared/db/entities/model.ts';

export interface KindSource {
  /** `GET /models/{folder}` */
  folder: string;
  /** The loader whose combo lists the files it accepts (embeddings have none). */
  loader?: { node: string; input: string };
}

/** Where each kind of model is listed on a ComfyUI instance (API.md §3.10–3.11). */
export const kindSources = {
  checkpoint: { folder: 'checkpoints', loader: { node: 'CheckpointLoaderSimple', input: 'ckpt_name' } },
  lora: { folder: 'loras', loader: { node: 'LoraLoader', input: 'lora_name' } },
  vae: { folder: 'vae', loader: { node: 'VAELoader', input: 'vae_name' } },
  embedding: { folder: 'embeddings' },
} as const satisfies Record<ModelKind, KindSource>;

export const discoveredKinds = Object.keys(kindSources) as ModelKind[];
