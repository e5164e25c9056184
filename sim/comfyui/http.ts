/** aiohttp-like response helpers over node:http. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dumps, loads, type Loose, type PyValue } from './pyjson.ts';
import { PyException } from './pyops.ts';

export const MAX_BODY_BYTES = 100 * 1024 * 1024;

/** A failure answered with this status: an aiohttp `HTTPException` when it has a text, else like an unhandled error. */
export class HttpStatus extends Error {
  readonly status: number;
  readonly text: string | undefined;
  constructor(status: number, text?: string) {
    super(`HTTP ${status}`);
    this.status = status;
    this.text = text;
  }
}

export interface Req {
  method: string;
  /** Path with any `/api` prefix removed. */
  path: string;
  /** Path as requested (behind any proxy base path). */
  rawPath: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body(): Promise<Buffer>;
  /** `await request.json()`: undecodable text or malformed JSON throws (→ 500). */
  json(): Promise<PyValue>;
}

export function makeReq(req: IncomingMessage): Req {
  const url = new URL(req.url ?? '/', 'http://sim.local');
  const path = url.pathname.startsWith('/api/') ? url.pathname.slice(4) : url.pathname;
  let cached: Promise<Buffer> | undefined;
  const body = () => {
    cached ??= new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let tooLarge: number | undefined;
      // `Request.read()` stops at client_max_size; the rest is drained so the client reads the 413.
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (tooLarge === undefined && size > MAX_BODY_BYTES) tooLarge = size;
        if (tooLarge === undefined) chunks.push(c);
      });
      req.on('end', () => {
        if (tooLarge === undefined) resolve(Buffer.concat(chunks));
        else reject(new HttpStatus(413, `Maximum request body size ${MAX_BODY_BYTES} exceeded, actual body size ${tooLarge}`));
      });
      req.on('error', reject);
    });
    return cached;
  };
  return {
    method: req.method ?? 'GET', path, rawPath: url.pathname, query: url.searchParams, headers: req.headers, body,
    json: async () => loads(decodeText(await body(), req.headers['content-type'])),
  };
}

const UTF8 = new Set(['utf_8', 'utf8', 'u8', 'utf', 'cp65001']);
const LATIN1 = new Set(['latin_1', 'latin1', 'latin', 'l1', 'iso8859_1', 'iso_8859_1', '8859', 'cp819', 'ibm819', 'csisolatin1', 'iso_ir_100']);
const ASCII = new Set(['ascii', 'us_ascii', '646', 'us', 'csascii', 'cp367', 'ibm367', 'iso646_us', 'iso_ir_6']);

/**
 * `request.text()`: `bytes.decode(request.charset or "utf-8")`, strict, a BOM kept as U+FEFF (which
 * `json.loads` then refuses). Charset names are matched the way `codecs.lookup` normalizes them.
 */
function decodeText(body: Buffer, contentType: string | undefined): string {
  const label = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType ?? '')?.[1] ?? 'utf-8';
  const name = label.toLowerCase().replace(/[^a-z0-9.]+/g, '_').replace(/^_+|_+$/g, '');
  if (LATIN1.has(name)) return body.toString('latin1');
  const high = ASCII.has(name) ? body.findIndex((b) => b > 0x7f) : -1;
  if (high >= 0) throw new PyException('UnicodeDecodeError', `'ascii' codec can't decode byte 0x${body[high]!.toString(16)} in position ${high}: ordinal not in range(128)`);
  return new TextDecoder(UTF8.has(name) || ASCII.has(name) ? 'utf-8' : label, { fatal: true, ignoreBOM: true }).decode(body);
}

export function sendJson(res: ServerResponse, value: Loose, status = 200): void {
  const body = Buffer.from(dumps(value), 'utf8');
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': body.length });
  res.end(body);
}

/** `web.Response(status=...)`: empty body (aiohttp then reports application/octet-stream). */
export function sendEmpty(res: ServerResponse, status = 200): void {
  res.writeHead(status, { 'Content-Type': 'application/octet-stream', 'Content-Length': 0 });
  res.end();
}

export function sendText(res: ServerResponse, status: number, text: string): void {
  const body = Buffer.from(text, 'utf8');
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': body.length });
  res.end(body);
}

export function sendBytes(res: ServerResponse, body: Buffer, contentType: string, headers: Record<string, string> = {}): void {
  res.writeHead(200, { 'Content-Type': contentType, 'Content-Length': body.length, ...headers });
  res.end(body);
}

/** aiohttp's answer to an unhandled exception in a handler. */
export function sendServerError(res: ServerResponse, status = 500): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendText(res, status, status === 500 ? '500 Internal Server Error\n\nServer got itself in trouble' : `${status}`);
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\]|::1)$/i;

/** `create_origin_only_middleware`: a loopback Host with a different Origin host is refused. */
export function originRefused(headers: IncomingMessage['headers']): boolean {
  const host = headers.host;
  const origin = headers.origin;
  if (!host || !origin) return false;
  const hostname = host.replace(/:\d+$/, '');
  if (!LOOPBACK.test(hostname)) return false;
  try {
    return new URL(origin).host !== host;
  } catch {
    return true;
  }
}
