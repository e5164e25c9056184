import { createRequire } from 'node:module';
import path from 'node:path';

// Swagger UI from the swagger-ui-dist package, served from here: the page works with no internet.
export const swaggerUiDir = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

export const docsAssets: Record<string, { file?: string; text?: string; type: string }> = {
  'swagger-ui.css': { file: 'swagger-ui.css', type: 'text/css; charset=utf-8' },
  'swagger-ui-bundle.js': { file: 'swagger-ui-bundle.js', type: 'text/javascript; charset=utf-8' },
  'favicon-32x32.png': { file: 'favicon-32x32.png', type: 'image/png' },
  // Our own start script, a file rather than inline so the page's CSP can forbid inline scripts.
  'init.js': {
    text: `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true, persistAuthorization: false, validatorUrl: null });\n`,
    type: 'text/javascript; charset=utf-8',
  },
};

export const docsAssetNames = Object.keys(docsAssets);
