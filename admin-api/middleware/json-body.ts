import type { Middleware } from 'koa';
import { AppError, ErrorCode } from '#shared/errors.ts';
import { httpError } from '../http-errors.ts';

export interface JsonBodyOptions {
  /** Largest accepted body in bytes; larger ones are refused with 413 before or while reading. */
  limitBytes: number;
}

const methodsWithBody = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Reads a JSON request body into `ctx.request.body`, with a hard size limit. */
export function jsonBody(opts: JsonBodyOptions): Middleware {
  return async (ctx, next) => {
    if (!methodsWithBody.has(ctx.method) || !hasBody(ctx.get('content-length'), ctx.get('transfer-encoding'))) {
      await next();
      return;
    }
    if (!ctx.is('application/json', 'application/*+json')) {
      throw httpError(415, 'request body must be JSON (Content-Type: application/json)');
    }
    const declared = Number(ctx.get('content-length') || Number.NaN);
    if (declared > opts.limitBytes) throw tooLarge(opts.limitBytes);
    const text = await readLimited(ctx.req, opts.limitBytes);
    if (text.trim() !== '') {
      try {
        (ctx.request as { body?: unknown }).body = JSON.parse(text) as unknown;
      } catch {
        throw new AppError(ErrorCode.Validation, 'request body is not valid JSON', { details: { body: ['not valid JSON'] } });
      }
    }
    await next();
  };
}

function hasBody(contentLength: string, transferEncoding: string): boolean {
  return transferEncoding !== '' || (contentLength !== '' && contentLength !== '0');
}

function tooLarge(limit: number): Error {
  return httpError(413, `request body is larger than ${limit} bytes`, { limitBytes: limit });
}

async function readLimited(stream: AsyncIterable<Buffer>, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream) {
      size += chunk.length;
      // Stop buffering at once; the rest of the request is discarded when the response ends.
      if (size > limit) throw tooLarge(limit);
      chunks.push(chunk);
    }
  } catch (err) {
    if (size > limit) throw err;
    // The client hung up or sent a body the parser refused (a bad chunk): its mistake, not a server fault.
    throw Object.assign(httpError(400, 'the request body could not be read'), { cause: err });
  }
  return Buffer.concat(chunks).toString('utf8');
}
