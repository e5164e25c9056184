import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { OpenedObject } from '#shared/storage/storage.ts';
import type { ByteRange } from './ranges.ts';

export interface MultipartLayout {
  contentType: string;
  /** Exact body length, so the response carries Content-Length. */
  length: number;
  parts: { head: Buffer; range: ByteRange }[];
  tail: Buffer;
}

/** multipart/byteranges (RFC 9110 §14.6): one part per range, each with its Content-Type and Content-Range. */
export function multipartLayout(ranges: readonly ByteRange[], size: number, partType: string, boundary = randomBytes(12).toString('hex')): MultipartLayout {
  const parts = ranges.map((range, i) => ({
    head: Buffer.from(`${i === 0 ? '' : '\r\n'}--${boundary}\r\nContent-Type: ${partType}\r\nContent-Range: bytes ${range.start}-${range.end}/${size}\r\n\r\n`, 'latin1'),
    range,
  }));
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`, 'latin1');
  const length = parts.reduce((n, p) => n + p.head.length + p.range.end - p.range.start + 1, tail.length);
  return { contentType: `multipart/byteranges; boundary=${boundary}`, length, parts, tail };
}

/**
 * A response body that streams from the opened object and closes it when done, failed or
 * abandoned (the 'close' event also covers a body that was never read, as for HEAD).
 */
export function objectBody(opened: OpenedObject, content: ByteRange | MultipartLayout): Readable {
  async function* bytes(): AsyncGenerator<Buffer> {
    try {
      if ('parts' in content) {
        for (const part of content.parts) {
          yield part.head;
          yield* opened.chunks(part.range.start, part.range.end);
        }
        yield content.tail;
      } else {
        yield* opened.chunks(content.start, content.end);
      }
    } finally {
      await opened.close();
    }
  }
  const body = Readable.from(bytes(), { objectMode: false });
  body.once('close', () => void opened.close());
  return body;
}
