/** `POST /upload/image` (server.py `image_upload`): rename on collision, reuse on identical content. */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { dirFor, inside } from '../files.ts';
import { HttpStatus, sendEmpty, sendJson } from '../http.ts';
import type { Route } from './types.ts';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

export const uploadRoutes: Route[] = [{
  method: 'POST', path: '/upload/image',
  handler: async (req, res, state) => {
    const raw = await req.body();
    const form = await new Request('http://sim.local/', { method: 'POST', headers: { 'content-type': req.headers['content-type'] ?? '' }, body: raw })
      .formData().catch(() => undefined);
    if (!form) throw new HttpStatus(500);
    const image = form.get('image');
    const typeField = form.get('type');
    const type = typeof typeField === 'string' ? typeField : 'input';
    const dir = dirFor(state.dirs, type);
    if (!dir) throw new HttpStatus(500);
    if (!image || typeof image === 'string') return sendEmpty(res, 400);
    let filename = image.name;
    if (!filename) return sendEmpty(res, 400);
    const subfield = form.get('subfolder');
    const subfolder = typeof subfield === 'string' ? subfield : '';
    const folder = path.join(dir, path.normalize(subfolder || '.'));
    let filepath = path.resolve(folder, filename);
    if (!inside(dir, filepath)) return sendEmpty(res, 400);
    await mkdir(folder, { recursive: true });
    const bytes = new Uint8Array(await image.arrayBuffer());
    const overwrite = form.get('overwrite');
    let duplicate = false;
    if (overwrite !== 'true' && overwrite !== '1') {
      const ext = path.extname(filename);
      const stem = filename.slice(0, filename.length - ext.length);
      for (let i = 1; existsSync(filepath); i++) {
        if (sha256(await readFile(filepath)) === sha256(bytes)) {
          duplicate = true;
          break;
        }
        filename = `${stem} (${i})${ext}`;
        filepath = path.join(folder, filename);
      }
    }
    if (!duplicate) await writeFile(filepath, bytes);
    sendJson(res, { name: filename, subfolder, type });
  },
}];
