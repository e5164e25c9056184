import type { Readable } from 'node:stream';
import type { ImageStorage, ObjectInfo, OpenedObject, PresignOptions, StoredObject } from './storage.ts';

export interface RecentWritesLimits {
  /** Bytes kept at most; the oldest go first. */
  maxBytes: number;
  /** How long a write is answered from memory; older ones are dropped, also while nothing happens. */
  maxAgeMs: number;
}

/** Enough for the moments between a success's store and its delivery and thumbnails. */
export const defaultRecentWritesLimits: RecentWritesLimits = { maxBytes: 32 * 1024 * 1024, maxAgeMs: 5_000 };

/**
 * An ImageStorage that answers `get` from memory for what this process wrote moments ago from a
 * Buffer. A success's original is read back twice right after it is stored (its delivery attaches
 * it, its thumbnail job decodes it): from disk that was two opens, reads and closes per generation,
 * from S3 two downloads. Bounded by bytes and age; a delete, or a write from a stream, forgets the
 * key. Everything else goes to the storage behind it.
 *
 * The Buffer handed to `put` is the one `get` returns: neither side may change it.
 */
export class RecentWrites implements ImageStorage {
  readonly #inner: ImageStorage;
  readonly #limits: RecentWritesLimits;
  readonly #worthKeeping: (key: string) => boolean;
  #sweep: NodeJS.Timeout | undefined;
  // Insertion order is age order: a key written again is deleted first, so it moves to the end.
  readonly #entries = new Map<string, { data: Buffer; at: number }>();
  #bytes = 0;
  readonly presign?: (key: string, opts: PresignOptions) => Promise<string>;
  readonly probe?: () => Promise<void>;

  /** `worthKeeping`: the keys that will be read back (others are only written through). */
  constructor(inner: ImageStorage, limits: RecentWritesLimits = defaultRecentWritesLimits, worthKeeping: (key: string) => boolean = () => true) {
    this.#inner = inner;
    this.#limits = limits;
    this.#worthKeeping = worthKeeping;
    if (inner.presign) this.presign = inner.presign.bind(inner);
    if (inner.probe) this.probe = inner.probe.bind(inner);
  }

  get kind(): ImageStorage['kind'] {
    return this.#inner.kind;
  }

  /** Bytes held in memory now. */
  get heldBytes(): number {
    return this.#bytes;
  }

  async put(key: string, body: Readable | Buffer): Promise<StoredObject> {
    this.#forget(key);
    const stored = await this.#inner.put(key, body);
    // Forgotten again: a stream's write, or a delete, may have come while this one was under way.
    this.#forget(key);
    if (Buffer.isBuffer(body) && this.#worthKeeping(key)) this.#remember(key, body);
    return stored;
  }

  async get(key: string): Promise<Buffer> {
    const entry = this.#entries.get(key);
    if (entry && Date.now() - entry.at < this.#limits.maxAgeMs) return entry.data;
    return this.#inner.get(key);
  }

  open(key: string): Promise<OpenedObject | undefined> {
    return this.#inner.open(key);
  }

  stat(key: string): Promise<ObjectInfo | undefined> {
    return this.#inner.stat(key);
  }

  async delete(key: string): Promise<void> {
    this.#forget(key);
    await this.#inner.delete(key);
  }

  list(prefix: string): AsyncIterable<ObjectInfo> {
    return this.#inner.list(prefix);
  }

  #remember(key: string, data: Buffer): void {
    if (data.length > this.#limits.maxBytes) return;
    this.#entries.set(key, { data, at: Date.now() });
    this.#bytes += data.length;
    this.#dropOld();
  }

  /** Drops the oldest entries while over the bytes or past the age; comes back while any are left. */
  #dropOld(): void {
    const now = Date.now();
    for (const [k, e] of this.#entries) {
      if (this.#bytes <= this.#limits.maxBytes && now - e.at < this.#limits.maxAgeMs) break;
      this.#forget(k);
    }
    const oldest = this.#entries.values().next().value;
    if (!oldest || this.#sweep) return;
    this.#sweep = setTimeout(() => {
      this.#sweep = undefined;
      this.#dropOld();
    }, Math.max(1, oldest.at + this.#limits.maxAgeMs - now));
    this.#sweep.unref();
  }

  #forget(key: string): void {
    const entry = this.#entries.get(key);
    if (!entry) return;
    this.#entries.delete(key);
    this.#bytes -= entry.data.length;
  }
}
