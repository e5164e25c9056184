import { createHash, timingSafeEqual } from 'node:crypto';
import type { RouterContext } from '@koa/router';
import type { Middleware } from 'koa';
import { AppError, ErrorCode } from '#shared/errors.ts';
import { touchesProtectedRoute } from '../routing.ts';

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/**
 * Requires `Authorization: Bearer <token>` whenever the request's path matched a route that is not
 * public (`ctx.matched`, filled in by the router). It must therefore run after the router has
 * matched: as the root router's first middleware, and once more after `allowedMethods` so a
 * protected path asked with a method it lacks (405, 501, OPTIONS) also needs the token.
 * Both sides are hashed first so the comparison is constant-time and never reveals the token's length.
 */
export function bearerAuth(token: string): Middleware {
  const expected = digest(token);
  return async (ctx, next) => {
    if (touchesProtectedRoute((ctx as unknown as RouterContext).matched ?? [])) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(ctx.get('authorization'));
      if (!match || !timingSafeEqual(digest(match[1]!), expected)) {
        throw new AppError(ErrorCode.Unauthorized, match ? 'invalid bearer token' : 'missing bearer token (Authorization: Bearer <ADMIN_TOKEN>)');
      }
    }
    await next();
  };
}
