import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, HeadObjectCommand, ListObjectsV2Command, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { hashMeter } from './hash-meter.ts';
import { assertSafeKey } from './keys.ts';
import type { ImageStorage, ObjectInfo, OpenedObject, PresignOptions, StoredObject } from './storage.ts';

/** 5 MiB is S3's smallest part; two in flight bound the memory an upload holds, whatever its size. */
const partBytes = 5 * 1024 * 1024;
const partsInFlight = 2;
const contentTypes: Record<string, string> = { png: 'image/png', webp: 'image/webp', jpg: 'image/jpeg' };

export interface S3StorageOptions {
  client: S3Client;
  bucket: string;
  /** Prepended to every key, e.g. `genonaut/`; '' = the bucket's root. */
  prefix?: string;
}

function isNotFound(err: unknown): boolean {
  if (!(err instanceof S3ServiceException)) return false;
  return err.$metadata.httpStatusCode === 404 || err.name === 'NotFound' || err.name === 'NoSuchKey';
}

/**
 * An S3-compatible bucket (AWS S3, MinIO, R2, …) with the same keys as the local folder, below an
 * optional prefix. Uploads stream in parts; a reader sees an object only once its upload completed.
 */
export class S3Storage implements ImageStorage {
  readonly kind = 's3';
  readonly client: S3Client;
  readonly bucket: string;
  readonly prefix: string;

  constructor(opts: S3StorageOptions) {
    this.client = opts.client;
    this.bucket = opts.bucket;
    const prefix = opts.prefix ?? '';
    this.prefix = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
    if (this.prefix) assertSafeKey(this.prefix.slice(0, -1));
  }

  #key(key: string): string {
    assertSafeKey(key);
    return this.prefix + key;
  }

  async put(key: string, body: Readable | Buffer): Promise<StoredObject> {
    const target = this.#key(key);
    const { meter, result } = hashMeter();
    const source = Buffer.isBuffer(body) ? Readable.from([body]) : body;
    // As on disk: a failure on either side ends both (the source is destroyed, not left paused).
    const piping = pipeline(source, meter);
    const ext = key.slice(key.lastIndexOf('.') + 1);
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: target, Body: meter, ContentType: contentTypes[ext] ?? 'application/octet-stream' },
      partSize: partBytes,
      queueSize: partsInFlight,
      leavePartsOnError: false,
    });
    try {
      await Promise.all([upload.done(), piping]);
    } catch (err) {
      meter.destroy();
      await Promise.allSettled([upload.abort(), piping]);
      throw err;
    }
    return { key, ...result() };
  }

  async get(key: string): Promise<Buffer> {
    const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.#key(key) }));
    return Buffer.from(await res.Body!.transformToByteArray());
  }

  async open(key: string): Promise<OpenedObject | undefined> {
    const target = this.#key(key);
    let head;
    try {
      head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: target }));
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
    const { client, bucket } = this;
    const etag = head.ETag ?? '';
    const reading = new Set<Readable>();
    return {
      key,
      bytes: head.ContentLength ?? 0,
      modifiedAt: head.LastModified ?? new Date(0),
      version: etag,
      async *chunks(start, end) {
        if (end < start) return;
        // If-Match: bytes of a replaced object never mix with the ones already sent.
        const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: target, Range: `bytes=${start}-${end}`, ...(etag ? { IfMatch: etag } : {}) }));
        const stream = res.Body as Readable;
        reading.add(stream);
        let pos = start;
        try {
          for await (const chunk of stream as AsyncIterable<Buffer>) {
            const take = chunk.subarray(0, end - pos + 1);
            pos += take.length;
            if (take.length) yield take;
            if (pos > end) break;
          }
        } finally {
          reading.delete(stream);
          stream.destroy();
        }
        if (pos <= end) throw new Error(`${key} ended at byte ${pos}, before byte ${end}`);
      },
      async close() {
        for (const stream of reading) stream.destroy();
        reading.clear();
      },
    };
  }

  async stat(key: string): Promise<ObjectInfo | undefined> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.#key(key) }));
      return { key, bytes: head.ContentLength ?? 0, modifiedAt: head.LastModified ?? new Date(0) };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.#key(key) }));
  }

  /** A prefix names a folder, as on the local disk: `a/b` lists `a/b/…`, not `a/bc`. */
  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    const folder = prefix === '' ? this.prefix : `${this.#key(prefix.replace(/\/$/, ''))}/`;
    let ContinuationToken: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: folder, ContinuationToken }));
      for (const o of page.Contents ?? []) {
        if (!o.Key) continue;
        yield { key: o.Key.slice(this.prefix.length), bytes: o.Size ?? 0, modifiedAt: o.LastModified ?? new Date(0) };
      }
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
  }

  /** Fails when the bucket cannot be reached with these settings and credentials. */
  async probe(): Promise<void> {
    await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
  }

  async presign(key: string, opts: PresignOptions): Promise<string> {
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: this.#key(key),
      ResponseContentType: opts.contentType,
      ResponseContentDisposition: opts.contentDisposition,
      ResponseCacheControl: opts.cacheControl,
    });
    return getSignedUrl(this.client, command, { expiresIn: opts.expiresInSeconds });
  }
}
