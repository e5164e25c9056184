import type { Middleware } from 'koa';

/** A JSON API never needs to run scripts, be framed or leak its URLs. */
export const securityHeaders: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

export function securityHeadersMiddleware(): Middleware {
  return async (ctx, next) => {
    ctx.set(securityHeaders);
    await next();
  };
}
