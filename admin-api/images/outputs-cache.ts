import type { GenerationOutput } from '#shared/db/entities/generation.ts';

/** What an image request needs from the generation row. */
export interface ImageRecord {
  outputs: GenerationOutput[];
  /** Set when the generation was deleted (🗑): every image of it is gone (410). */
  deletedAt: Date | null;
}

export interface OutputsCacheOptions {
  ttlMs?: number;
  maxEntries?: number;
  now?: () => number;
}

/**
 * A generation's outputs as last read, for a short while: the database round trip is most of the
 * time to first byte otherwise. Outputs only ever gain thumbnails or lose files (retention), so a
 * caller that finds no image or no file in a cached answer asks again with `fresh` before saying so.
 * Generations that do not exist are never cached; past `maxEntries` the oldest entry goes. A deletion
 * (🗑 or erasure) is seen at once where a GoneListener calls `forget`; without one, when the entry
 * ends (at most `ttlMs`). While `trusted` is false (the listener is reconnecting) nothing is cached.
 */
export class OutputsCache {
  readonly #load: (generationId: string) => Promise<ImageRecord | undefined>;
  readonly #entries = new Map<string, { record: ImageRecord; at: number }>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(load: (generationId: string) => Promise<ImageRecord | undefined>, opts: OutputsCacheOptions = {}) {
    this.#load = load;
    this.#ttlMs = opts.ttlMs ?? 30_000;
    this.#maxEntries = opts.maxEntries ?? 10_000;
    this.#now = opts.now ?? Date.now;
  }

  /** False while deletions might be missed: every read goes to the database. */
  trusted = true;

  /** Counts forgets, so a read that overlapped one is not cached (it may predate the deletion). */
  #forgets = 0;

  forget(generationId: string): void {
    this.#forgets++;
    this.#entries.delete(generationId);
  }

  clear(): void {
    this.#forgets++;
    this.#entries.clear();
  }

  async get(generationId: string, { fresh = false } = {}): Promise<{ record: ImageRecord | undefined; cached: boolean }> {
    const hit = this.#entries.get(generationId);
    if (hit && !fresh && this.#now() - hit.at < this.#ttlMs) return { record: hit.record, cached: true };
    this.#entries.delete(generationId);
    const forgets = this.#forgets;
    const record = await this.#load(generationId);
    if (record && this.trusted && forgets === this.#forgets) {
      this.#entries.set(generationId, { record, at: this.#now() });
      if (this.#entries.size > this.#maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
    }
    return { record, cached: false };
  }
}
