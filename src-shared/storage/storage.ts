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

/** One object opened for reading: what was stat'ed is what is read, even if the key is replaced meanwhile. */
export interface OpenedObject {
  key: string;
  bytes: number;
  modifiedAt: Date;
  /** Changes whenever the bytes behind the key may have changed (local disk: device, inode, mtime, size). */
  version: string;
  /** Bytes `start`…`end` (inclusive) in chunks; fails if the object turns out shorter. */
  chunks(start: number, end: number): AsyncGenerator<Buffer>;
  /** Safe to call more than once. */
  close(): Promise<void>;
}

/** Where images live. Local disk today; an object store can implement the same calls. */
export interface ImageStorage {
  /** Writes atomically: readers never see a half-written object. */
  put(key: string, body: Readable | Buffer): Promise<StoredObject>;
  get(key: string): Promise<Buffer>;
  /** Opens an object for streaming reads; undefined when there is no such object. */
  open(key: string): Promise<OpenedObject | undefined>;
  stat(key: string): Promise<ObjectInfo | undefined>;
  delete(key: string): Promise<void>;
  /** Every object under a prefix ('' = all), for retention. */
  list(prefix: string): AsyncIterable<ObjectInfo>;
}
