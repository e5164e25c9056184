import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';

const types = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' } as const;

/** The page's files, by name: nothing outside this list is ever read, so no path can escape the folder. */
const files: Record<string, keyof typeof types> = {
  'index.html': 'html', 'style.css': 'css', 'app.js': 'js', 'api.js': 'js', 'render.js': 'js', 'command-line.js': 'js', 'composer.js': 'js', 'modal.js': 'js',
};

// Scripts and styles only from this origin, no inline script: rendering never depends on escaping alone.
const CSP = "default-src 'self'; img-src 'self' data: http: https:; script-src 'self'; style-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

export async function serveStatic(name: string, res: ServerResponse): Promise<boolean> {
  const type = files[name];
  if (!type) return false;
  const body = await readFile(fileURLToPath(new URL(`./public/${name}`, import.meta.url)));
  res.writeHead(200, { 'Content-Type': types[type], 'Cache-Control': 'no-cache', 'Content-Security-Policy': CSP, 'X-Content-Type-Options': 'nosniff' }).end(body);
  return true;
}
