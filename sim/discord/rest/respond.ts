import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Fault } from '../faults.ts';

const bucketHash = (template: string) => createHash('sha1').update(template).digest('hex').slice(0, 16);

/** Normal rate-limit headers: a generous bucket so @discordjs/rest never has to wait on its own. */
export function rateLimitHeaders(template: string, nowMs: number): Record<string, string> {
  return {
    'X-RateLimit-Limit': '50',
    'X-RateLimit-Remaining': '49',
    'X-RateLimit-Reset': ((nowMs + 1000) / 1000).toFixed(3),
    'X-RateLimit-Reset-After': '1.000',
    'X-RateLimit-Bucket': bucketHash(template),
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (body === undefined) {
    res.writeHead(status, headers).end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)) }).end(text);
}

/** The 429 or 5xx of an injected fault, shaped as Discord sends it. */
export function faultResponse(fault: Fault, template: string, nowMs: number): { status: number; body: unknown; headers: Record<string, string> } {
  if (fault.kind === 'serverError') {
    return { status: fault.status, body: { message: `${fault.status}: Server Error`, code: 0 }, headers: rateLimitHeaders(template, nowMs) };
  }
  const seconds = fault.retryAfterSeconds;
  const headers: Record<string, string> = {
    ...rateLimitHeaders(template, nowMs),
    'X-RateLimit-Remaining': '0',
    'X-RateLimit-Reset': ((nowMs + seconds * 1000) / 1000).toFixed(3),
    'X-RateLimit-Reset-After': seconds.toFixed(3),
    'Retry-After': String(seconds),
    'X-RateLimit-Scope': fault.global ? 'global' : 'user',
  };
  if (fault.global) headers['X-RateLimit-Global'] = 'true';
  return { status: 429, body: { message: 'You are being rate limited.', retry_after: seconds, global: fault.global }, headers };
}
