import type { Middleware } from 'koa';
import { mapDbError } from '#shared/db/db-errors.ts';
import { AppError } from '#shared/errors.ts';
import type { Logger } from '#shared/logging.ts';
import { notFoundBody, toErrorResponse } from '../http-errors.ts';

/**
 * First in the chain: every failure below becomes `{error:{code,message,details}}` with its status.
 * Unexpected errors are logged in full and answered with a generic message (no stack, no SQL).
 */
export function errorHandler(logger: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body == null) {
        ctx.status = 404;
        ctx.body = notFoundBody(ctx.method, ctx.path);
      }
    } catch (caught) {
      // Last line of defence: a value the schemas let through but Postgres refused is still the client's mistake.
      const err = caught instanceof AppError ? caught : mapDbError(caught, 'the request');
      // A client's mistakes are logged by route template, not by the path it sent, which may hold anything (even the token).
      const route = (ctx as { _matchedRoute?: unknown })._matchedRoute ?? null;
      if (err !== caught) logger.warn({ err: caught, method: ctx.method, route }, 'database refused a value that validation let through');
      const { status, body, unexpected } = toErrorResponse(err);
      if (unexpected) logger.error({ err, method: ctx.method, path: ctx.path }, 'admin api request failed');
      else logger.debug({ code: body.error.code, method: ctx.method, route }, 'admin api request rejected');
      ctx.status = status;
      ctx.body = body;
      if (status === 401) ctx.set('WWW-Authenticate', 'Bearer realm="genonaut-admin"');
      if (status === 405) ctx.set('Allow', allowHeader(ctx as never));
    }
  };
}

/** @koa/router throws 405 without an Allow header when `throw: true`; rebuild it from the matched routes. */
function allowHeader(ctx: { matched?: { methods?: string[] }[] }): string {
  const methods = new Set((ctx.matched ?? []).flatMap((layer) => layer.methods ?? []));
  return [...methods].join(', ');
}
