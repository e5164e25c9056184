import Router, { type Layer } from '@koa/router';
import type { Middleware } from 'koa';

export const apiPrefix = '/api/v1';

/**
 * Every admin router matches paths exactly: letter case counts and a trailing slash makes another
 * path, so `/API/v1/models` or `/api/v1/models/` are unknown (404) rather than aliases of a route.
 * With `strict`, a sub-router's `'/'` under a prefix would mean `prefix + '/'`, so routes spell out
 * their full paths instead of using `prefix`.
 */
export function newRouter(): Router {
  return new Router({ sensitive: true, strict: true });
}

/** Listed first on a route that answers without the token; every other route requires it. */
export const publicRoute: Middleware = (_ctx, next) => next();

export function isPublicRoute(layer: Layer): boolean {
  return (layer.stack as unknown[]).includes(publicRoute);
}

/**
 * Whether the router's matches for a request path include a route that needs the token. Middleware
 * layers (no methods) are not routes. Deciding on the router's own matches means authorisation
 * and routing can never disagree about what a path is.
 */
export function touchesProtectedRoute(matched: readonly Layer[]): boolean {
  return matched.some((layer) => layer.methods.length > 0 && !isPublicRoute(layer));
}
