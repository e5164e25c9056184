import { createHash } from 'node:crypto';
import type { OpenedObject } from '#shared/storage/storage.ts';

export type IntegrityVerdict =
  | { ok: true; sha256: string }
  | { ok: false; problem: 'size' | 'sha256'; expected: string | number; actual: string | number };

export interface Recorded {
  sha256?: string;
  bytes?: number;
}

/**
 * Hashes each stored file once per version (device, inode, mtime, size) and remembers the result,
 * so a file is read twice only on its first request; a file changed on disk has a new version and
 * is hashed again. Concurrent first requests share one hash. Least recently used entries go first.
 */
export class IntegrityCache {
  readonly #hashes = new Map<string, Promise<string>>();
  readonly #maxEntries: number;
  #hashed = 0;

  constructor(maxEntries = 10_000) {
    this.#maxEntries = maxEntries;
  }

  /** How many times a file was read to hash it (the rest were answered from the cache). */
  get filesHashed(): number {
    return this.#hashed;
  }

  async check(opened: OpenedObject, recorded: Recorded): Promise<IntegrityVerdict & { firstCheck: boolean }> {
    if (recorded.bytes !== undefined && recorded.bytes !== opened.bytes) {
      return { ok: false, problem: 'size', expected: recorded.bytes, actual: opened.bytes, firstCheck: true };
    }
    const id = `${opened.key}\0${opened.version}`;
    let hash = this.#hashes.get(id);
    const firstCheck = hash === undefined;
    if (hash) {
      this.#hashes.delete(id);
    } else {
      hash = this.#hash(opened);
      hash.catch(() => this.#hashes.delete(id));
    }
    this.#hashes.set(id, hash);
    if (this.#hashes.size > this.#maxEntries) this.#hashes.delete(this.#hashes.keys().next().value!);
    const actual = await hash;
    if (recorded.sha256 !== undefined && recorded.sha256 !== actual) return { ok: false, problem: 'sha256', expected: recorded.sha256, actual, firstCheck };
    return { ok: true, sha256: actual, firstCheck };
  }

  async #hash(opened: OpenedObject): Promise<string> {
    this.#hashed++;
    const hash = createHash('sha256');
    for await (const chunk of opened.chunks(0, opened.bytes - 1)) hash.update(chunk);
    return hash.digest('hex');
  }
}
