import cors from '@koa/cors';
import type { Middleware } from 'koa';

/**
 * Cross-origin access for the listed browser origins only (ADMIN_CORS_ORIGINS); any other origin
 * gets no Access-Control-* headers, so its pages cannot read answers. Preflights of listed origins
 * are answered before the token check (browsers send them without credentials). No cookies are
 * involved: the token travels in the Authorization header.
 */
export function corsFor(origins: readonly string[]): Middleware {
  const allowed = new Set(origins);
  return cors({
    origin: (ctx) => (allowed.has(ctx.get('Origin')) ? ctx.get('Origin') : ''),
    allowMethods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowHeaders: ['Authorization', 'Content-Type'],
    exposeHeaders: ['Location'],
    maxAge: 600,
  });
}
