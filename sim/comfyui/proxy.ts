/**
 * Test-only: the reverse proxy operators put in front of ComfyUI (which has no auth of its own).
 * It serves ComfyUI under a base path and lets through only requests with the bearer token.
 */
import type { IncomingMessage } from 'node:http';
import { timingSafeEqual } from 'node:crypto';

export interface ProxyAccess {
  /** e.g. `/comfy`: ComfyUI is reachable only below it (the prefix is removed before routing). */
  basePath?: string;
  /** Required as `Authorization: Bearer <token>` on every request, WebSocket upgrades included. */
  bearerToken?: string;
}

/** Rewrites `req.url` below the base path; answers the status a proxy would refuse with, or undefined. */
export function proxyRefusal(access: ProxyAccess, req: IncomingMessage): 401 | 404 | undefined {
  const base = access.basePath?.replace(/\/+$/, '');
  if (base) {
    const url = req.url ?? '/';
    if (url !== base && !url.startsWith(`${base}/`) && !url.startsWith(`${base}?`)) return 404;
    req.url = url.slice(base.length) || '/';
    if (req.url.startsWith('?')) req.url = `/${req.url}`;
  }
  if (access.bearerToken !== undefined) {
    const given = Buffer.from(req.headers.authorization ?? '');
    const wanted = Buffer.from(`Bearer ${access.bearerToken}`);
    if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) return 401;
  }
  return undefined;
}
