import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type Router from '@koa/router';
import { AppError, ErrorCode } from '#shared/errors.ts';
import { consoleAssets, consoleDir } from '../console/assets.ts';
import { newRouter, publicRoute } from '../routing.ts';

/**
 * The console's own files and the JSON API on this origin, nothing else: no inline script or style,
 * images from here or the blob: URLs the page makes of thumbnails it fetched with the token.
 */
export const consoleContentSecurityPolicy =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/**
 * `/admin` (the operator console) and its files: public, because they hold no data; every call the
 * page makes to `/api/v1/…` carries the token the operator typed in.
 */
export function consoleRouter(): Router {
  const router = newRouter();
  const cache = new Map<string, Buffer | string>();

  async function load(file: string): Promise<Buffer | string> {
    let body = cache.get(file);
    if (body === undefined) {
      try {
        body = await readFile(path.join(consoleDir, file));
      } catch (err) {
        throw new AppError(ErrorCode.Internal, 'console files are missing from this install', { status: 500, cause: err });
      }
      cache.set(file, body);
    }
    return body;
  }

  router.get('/admin', publicRoute, async (ctx) => {
    ctx.set('Content-Security-Policy', consoleContentSecurityPolicy);
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = await load('index.html');
  });

  // One exact route per file (no `:file` parameter), so no other spelling names a route.
  for (const [name, asset] of Object.entries(consoleAssets)) {
    router.get(`/admin/${name}`, publicRoute, async (ctx) => {
      ctx.set('Content-Security-Policy', consoleContentSecurityPolicy);
      ctx.set('Cache-Control', 'no-cache');
      ctx.type = asset.type;
      ctx.body = asset.text ?? (await load(asset.file!));
    });
  }

  return router;
}
