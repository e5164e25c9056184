/** aiohttp-like response helpers over node:http. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dumps, loads, type Loose, type PyValue } from './pyjson.ts';

export const MAX_BODY_BYTES = 100 * 1024 * 1024;

export class HttpStatus extends Error {
  readonly status: number;
  constructor(status: number) {
    super(`HTTP ${status}`);
    this.status = status;
  }
}

export interface Req {
  method: string;
  /** Path with any `/api` prefix removed. */
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body(): Promise<Buffer>;
  /** `await request.json()`: malformed JSON throws (→ 500). */
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
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_BODY_BYTES) reject(new HttpStatus(413));
        else chunks.push(c);
      });
      req.on('end', () => resolve(Buffer.concat(chunks)));
      req.on('error', reject);
    });
    return cached;
  };
  return {
    method: req.method ?? 'GET', path, query: url.searchParams, headers: req.headers, body,
    json: async () => loads((await body()).toString('utf8')),
  };
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
  if (status === 413) return sendText(res, 413, 'Request Entity Too Large');
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
