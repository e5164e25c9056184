/** Installed model files per folder, as `folder_paths` lists them. */

export const DEFAULT_MODEL_FOLDERS = [
  'checkpoints', 'configs', 'loras', 'vae', 'text_encoders', 'diffusion_models', 'clip_vision', 'style_models', 'embeddings', 'diffusers',
  'vae_approx', 'controlnet', 'gligen', 'upscale_models', 'custom_nodes', 'hypernetworks', 'photomaker', 'classifiers', 'model_patches', 'audio_encoders',
] as const;

const MODEL_EXTENSIONS = ['.ckpt', '.pt', '.pt2', '.bin', '.pth', '.safetensors', '.pkl', '.sft'];

export const DEFAULT_MODELS: Record<string, string[]> = {
  checkpoints: ['SDXL/juggernautXL_v9.safetensors', 'dreamshaper_8.safetensors', 'sd_xl_base_1.0.safetensors', 'v1-5-pruned-emaonly.safetensors'],
  loras: ['add_detail.safetensors', 'detail_tweaker_xl.safetensors', 'lcm-lora-sdv1-5.safetensors', 'style/pixel_art_xl.safetensors'],
  vae: ['sdxl_vae.safetensors', 'vae-ft-mse-840000-ema-pruned.safetensors'],
  embeddings: ['EasyNegative.safetensors'],
  configs: ['v1-inference.yaml', 'v2-inference.yaml'],
};

function allowed(folder: string, file: string): boolean {
  const lower = file.toLowerCase();
  if (folder === 'configs') return lower.endsWith('.yaml');
  if (folder === 'custom_nodes') return true;
  return MODEL_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export class ModelRegistry {
  private readonly files = new Map<string, Set<string>>();

  constructor(initial: Partial<Record<string, string[]>> = {}) {
    for (const folder of DEFAULT_MODEL_FOLDERS) this.files.set(folder, new Set(DEFAULT_MODELS[folder] ?? []));
    for (const [folder, files] of Object.entries(initial)) this.set(folder, files ?? []);
  }

  /** Folder keys in `GET /models` order (extra folders after the defaults). */
  folders(): string[] {
    return [...this.files.keys()];
  }

  /** Sorted relative file names with an allowed extension, or undefined for an unknown folder. */
  list(folder: string): string[] | undefined {
    const files = this.files.get(folder);
    if (!files) return undefined;
    return [...files].filter((f) => allowed(folder, f)).sort(byCodePoint);
  }

  has(folder: string, file: string): boolean {
    return this.list(folder)?.includes(file) ?? false;
  }

  set(folder: string, files: string[]): void {
    this.files.set(folder, new Set(files));
  }

  remove(folder: string, file: string): void {
    this.files.get(folder)?.delete(file);
  }
}

/**
 * safetensors `__metadata__` of the default files, as their publishers wrote it (`folder/file` →
 * string map); a file not listed has none, so `/view_metadata` answers 404 for it.
 */
export const DEFAULT_MODEL_METADATA: Record<string, Record<string, string>> = {
  'checkpoints/sd_xl_base_1.0.safetensors': {
    'modelspec.sai_model_spec': '1.0.0',
    'modelspec.architecture': 'stable-diffusion-xl-v1-base',
    'modelspec.implementation': 'https://github.com/Stability-AI/generative-models',
    'modelspec.title': 'Stable Diffusion XL 1.0 Base',
    'modelspec.license': 'CreativeML Open RAIL++-M',
  },
  'loras/add_detail.safetensors': { ss_network_module: 'networks.lora', ss_v2: 'False', ss_base_model_version: 'sd_v1', ss_network_dim: '16' },
  'loras/detail_tweaker_xl.safetensors': { ss_network_module: 'networks.lora', ss_v2: 'False', ss_base_model_version: 'sdxl_base_v1-0' },
};
