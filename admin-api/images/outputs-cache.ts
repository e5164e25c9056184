import type { GenerationOutput } from '#shared/db/entities/generation.ts';

export interface OutputsCacheOptions {
  ttlMs?: number;
  maxEntries?: number;
  now?: () => number;
}

/**
 * A generation's outputs as last read, for a short while: the database round trip is most of the
 * time to first byte otherwise. Outputs only ever gain thumbnails or lose files (retention), so a
 * caller that finds no image or no file in a cached answer asks again with `fresh` before saying so.
 * Generations that do not exist are never cached; past `maxEntries` the oldest entry goes.
 */
export class OutputsCache {
  readonly #load: (generationId: string) => Promise<GenerationOutput[] | undefined>;
  readonly #entries = new Map<string, { outputs: GenerationOutput[]; at: number }>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(load: (generationId: string) => Promise<GenerationOutput[] | undefined>, opts: OutputsCacheOptions = {}) {
    this.#load = load;
    this.#ttlMs = opts.ttlMs ?? 30_000;
    this.#maxEntries = opts.maxEntries ?? 10_000;
    this.#now = opts.now ?? Date.now;
  }

  async get(generationId: string, { fresh = false } = {}): Promise<{ outputs: GenerationOutput[] | undefined; cached: boolean }> {
    const hit = this.#entries.get(generationId);
    if (hit && !fresh && this.#now() - hit.at < this.#ttlMs) return { outputs: hit.outputs, cached: true };
    this.#entries.delete(generationId);
    const outputs = await this.#load(generationId);
    if (outputs) {
      this.#entries.set(generationId, { outputs, at: this.#now() });
      if (this.#entries.size > this.#maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
    }
    return { outputs, cached: false };
  }
}
