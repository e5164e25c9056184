import type { RouterContext } from '@koa/router';
import type { Middleware } from 'koa';
import { AppError, ErrorCode } from '#shared/errors.ts';
import { bearerTokenCheck } from '../bearer-token.ts';
import { touchesProtectedRoute } from '../routing.ts';

/**
 * Requires `Authorization: Bearer <token>` whenever the request's path matched a route that is not
 * public (`ctx.matched`, filled in by the router). It must therefore run after the router has
 * matched: as the root router's first middleware, and once more after `allowedMethods` so a
 * protected path asked with a method it lacks (405, 501, OPTIONS) also needs the token.
 */
export function bearerAuth(token: string): Middleware {
  const check = bearerTokenCheck(token);
  return async (ctx, next) => {
    if (touchesProtectedRoute((ctx as unknown as RouterContext).matched ?? [])) {
      const verdict = check(ctx.get('authorization') || undefined);
      if (verdict !== 'ok') {
        throw new AppError(ErrorCode.Unauthorized, verdict === 'invalid' ? 'invalid bearer token' : 'missing bearer token (Authorization: Bearer <ADMIN_TOKEN>)');
      }
    }
    await next();
  };
}
