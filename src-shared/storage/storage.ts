import type { Readable } from 'node:stream';

export interface StoredObject {
  key: string;
  bytes: number;
  sha256: string;
}

export interface ObjectInfo {
  key: string;
  bytes: number;
  modifiedAt: Date;
}

/** Where images live. Local disk today; an object store can implement the same five calls. */
export interface ImageStorage {
  /** Writes atomically: readers never see a half-written object. */
  put(key: string, body: Readable | Buffer): Promise<StoredObject>;
  get(key: string): Promise<Buffer>;
  stat(key: string): Promise<ObjectInfo | undefined>;
  delete(key: string): Promise<void>;
  /** Every object under a prefix ('' = all), for retention. */
  list(prefix: string): AsyncIterable<ObjectInfo>;
}
