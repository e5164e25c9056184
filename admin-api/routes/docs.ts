import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type Router from '@koa/router';
import { AppError, ErrorCode } from '#shared/errors.ts';
import { buildOpenApiDocument } from '../openapi/document.ts';
import { docsAssets as assets, swaggerUiDir as distDir } from '../openapi/docs-assets.ts';
import { newRouter, publicRoute } from '../routing.ts';

const page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Genonaut admin API</title>
<link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
<link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
`;

/**
 * What Swagger UI needs and nothing more: its scripts and styles from here (it also sets inline
 * styles), images from here or data: URLs, and fetches of /openapi.json and of "Try it out".
 */
export const docsContentSecurityPolicy =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** `/openapi.json` (the document, built once) and `/docs` (Swagger UI); both public. */
export function docsRouter(): Router {
  const router = newRouter();
  let document: string | undefined;
  const cache = new Map<string, Buffer | string>();

  router.get('/openapi.json', publicRoute, (ctx) => {
    document ??= JSON.stringify(buildOpenApiDocument());
    ctx.type = 'application/json; charset=utf-8';
    ctx.body = document;
  });

  router.get('/docs', publicRoute, (ctx) => {
    ctx.set('Content-Security-Policy', docsContentSecurityPolicy);
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = page;
  });

  // One exact route per file (no `:file` parameter), so no other spelling names a route.
  for (const [name, asset] of Object.entries(assets)) {
    router.get(`/docs/${name}`, publicRoute, async (ctx) => {
      let body = cache.get(name);
      if (body === undefined) {
        try {
          body = asset.text ?? (await readFile(path.join(distDir, asset.file!)));
        } catch (err) {
          throw new AppError(ErrorCode.Internal, 'documentation files are missing from this install', { status: 500, cause: err });
        }
        cache.set(name, body);
      }
      ctx.set('Cache-Control', 'public, max-age=3600');
      ctx.type = asset.type;
      ctx.body = body;
    });
  }

  return router;
}
