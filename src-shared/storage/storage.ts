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

/** What a presigned read link answers with (S3's response-* overrides). */
export interface PresignOptions {
  expiresInSeconds: number;
  contentType: string;
  contentDisposition: string;
  cacheControl: string;
}

/** Where images live: a local folder (`LocalStorage`) or an S3-compatible bucket (`S3Storage`). */
export interface ImageStorage {
  /** Which backend; 'local' when absent. */
  readonly kind?: 'local' | 's3';
  /** Writes atomically: readers never see a half-written object. */
  put(key: string, body: Readable | Buffer): Promise<StoredObject>;
  get(key: string): Promise<Buffer>;
  /** Opens an object for streaming reads; undefined when there is no such object. */
  open(key: string): Promise<OpenedObject | undefined>;
  stat(key: string): Promise<ObjectInfo | undefined>;
  delete(key: string): Promise<void>;
  /** Every object under a prefix ('' = all), for retention. */
  list(prefix: string): AsyncIterable<ObjectInfo>;
  /** Fails when the storage cannot be used (unreachable, no such bucket, refused credentials). */
  probe?(): Promise<void>;
  /** A time-limited URL that reads the object straight from the store, for backends that have one. */
  presign?(key: string, opts: PresignOptions): Promise<string>;
}
