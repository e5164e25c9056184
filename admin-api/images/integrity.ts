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
  /** Per key and version: the content's sha256, or undefined when its size already showed it differs. */
  readonly #checked = new Map<string, Promise<string | undefined>>();
  readonly #maxEntries: number;
  #hashed = 0;

  constructor(maxEntries = 10_000) {
    this.#maxEntries = maxEntries;
  }

  /** How many times a file was read to hash it (the rest were answered from the cache). */
  get filesHashed(): number {
    return this.#hashed;
  }

  /**
   * `firstCheck` is false when this version of the file was checked before (so a mismatch is logged
   * once). `size`: compare the size only and take the recorded sha256 (hashing still when none was
   * recorded, since the answer's ETag is the hash).
   */
  async check(opened: OpenedObject, recorded: Recorded, how: 'hash' | 'size' = 'hash'): Promise<IntegrityVerdict & { firstCheck: boolean }> {
    if (how === 'size' && recorded.sha256 !== undefined) {
      if (recorded.bytes !== undefined && recorded.bytes !== opened.bytes) return { ok: false, problem: 'size', expected: recorded.bytes, actual: opened.bytes, firstCheck: true };
      return { ok: true, sha256: recorded.sha256, firstCheck: true };
    }
    const id = `${opened.key}\0${opened.version}`;
    let entry = this.#checked.get(id);
    const firstCheck = entry === undefined;
    if (entry) {
      this.#checked.delete(id);
    } else {
      entry = recorded.bytes !== undefined && recorded.bytes !== opened.bytes ? Promise.resolve(undefined) : this.#hash(opened);
      entry.catch(() => this.#checked.delete(id));
    }
    this.#checked.set(id, entry);
    if (this.#checked.size > this.#maxEntries) this.#checked.delete(this.#checked.keys().next().value!);
    const actual = await entry;
    if (actual === undefined) return { ok: false, problem: 'size', expected: recorded.bytes!, actual: opened.bytes, firstCheck };
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
