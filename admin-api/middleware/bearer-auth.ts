import { createHash, timingSafeEqual } from 'node:crypto';
import type { Middleware } from 'koa';
import { AppError, ErrorCode } from '#shared/errors.ts';

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/**
 * Requires `Authorization: Bearer <token>` on every path under `prefix`. Both sides are hashed
 * first so the comparison is constant-time and never reveals the token's length.
 */
export function bearerAuth(token: string, prefix: string): Middleware {
  const expected = digest(token);
  return async (ctx, next) => {
    if (ctx.path === prefix || ctx.path.startsWith(`${prefix}/`)) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(ctx.get('authorization'));
      if (!match || !timingSafeEqual(digest(match[1]!), expected)) {
        throw new AppError(ErrorCode.Unauthorized, match ? 'invalid bearer token' : 'missing bearer token (Authorization: Bearer <ADMIN_TOKEN>)');
      }
    }
    await next();
  };
}
