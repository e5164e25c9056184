import type { IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';

/** What HttpTransport answers with: an undici response reduced to what the client uses. */
export interface HttpResponse {
  readonly status: number;
  /** 2xx. */
  readonly ok: boolean;
  readonly headers: { get(name: string): string | null };
  /** Read it once (stream it, or `text()`), or `discard()` it: an unread body holds its connection until the call's timeout. */
  readonly body: Readable;
  text(): Promise<string>;
  discard(): Promise<void>;
}

export function undiciResponse({ statusCode, headers, body }: Dispatcher.ResponseData): HttpResponse {
  return {
    status: statusCode,
    ok: statusCode >= 200 && statusCode < 300,
    headers: headerReader(headers),
    body,
    text: () => body.text(),
    // dump reads up to 128 KiB to keep the connection reusable, and closes it past that.
    discard: async () => {
      await body.dump();
    },
  };
}

/** A response made here rather than received (see RequestOptions.beforeRetry). */
export function textResponse(status: number, text: string): HttpResponse {
  const body = Readable.from([text]);
  return {
    status,
    ok: status >= 200 && status < 300,
    headers: headerReader({}),
    body,
    text: async () => (await body.toArray()).join(''),
    discard: async () => {
      body.destroy();
    },
  };
}

function headerReader(headers: IncomingHttpHeaders): HttpResponse['headers'] {
  return {
    get: (name) => {
      const value = headers[name.toLowerCase()];
      return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
    },
  };
}
