/** `GET /view` (server.py `view_image`): the 400/403/404 rules of API.md §3.8, then the file or a re-encode. */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { annotated, dirFor, inside } from '../files.ts';
import { sendBytes, sendEmpty } from '../http.ts';
import type { Route } from './types.ts';

const MIME: Record<string, string> = {
  '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.webp': 'image/webp', '.gif': 'image/gif', '.bmp': 'image/bmp',
  '.json': 'application/json', '.txt': 'text/plain', '.mp4': 'video/mp4', '.webm': 'video/webm', '.svg': 'image/svg+xml',
  '.wav': 'audio/x-wav', '.mp3': 'audio/mpeg', '.flac': 'audio/flac',
};

export const viewRoutes: Route[] = [{
  method: 'GET', path: '/view',
  handler: async (req, res, state) => {
    const raw = req.query.get('filename');
    if (raw === null) return sendEmpty(res, 404);
    const { name, type: annotatedType } = annotated(raw);
    if (!name) return sendEmpty(res, 400);
    if (name.startsWith('/') || name.includes('..')) return sendEmpty(res, 400);
    let dir = dirFor(state.dirs, annotatedType ?? req.query.get('type') ?? 'output');
    if (!dir) return sendEmpty(res, 400);
    const subfolder = req.query.get('subfolder');
    if (subfolder !== null) {
      const full = path.resolve(dir, subfolder);
      if (!inside(dir, full)) return sendEmpty(res, 403);
      dir = full;
    }
    const filename = path.basename(name);
    const file = path.join(dir, filename);
    const st = await stat(file).catch(() => undefined);
    if (!st?.isFile()) return sendEmpty(res, 404);
    const disposition = { 'Content-Disposition': `filename="${filename}"` };
    const channel = req.query.get('channel');
    const preview = req.query.get('preview');
    if (preview !== null) {
      const info = preview.split(';');
      const format = info[0] !== 'webp' && info[0] !== 'jpeg' || (channel ?? '').includes('a') ? 'webp' : info[0];
      const quality = /^\d+$/.test(info[info.length - 1]!) ? Number(info[info.length - 1]) : 90;
      let img = sharp(file);
      if (format === 'jpeg' || channel === 'rgb') img = img.removeAlpha();
      const out = format === 'jpeg' ? await img.jpeg({ quality }).toBuffer() : await img.webp({ quality }).toBuffer();
      return sendBytes(res, out, `image/${format}`, disposition);
    }
    if (channel === 'rgb') return sendBytes(res, await sharp(file).removeAlpha().png().toBuffer(), 'image/png', disposition);
    if (channel === 'a') {
      const img = sharp(file);
      const meta = await img.metadata();
      const alpha = meta.hasAlpha ? await img.extractChannel(3).raw().toBuffer() : Buffer.alloc(meta.width * meta.height, 255);
      const rgba = Buffer.alloc(meta.width * meta.height * 4);
      for (let i = 0; i < alpha.length; i++) rgba[i * 4 + 3] = alpha[i]!;
      const out = await sharp(rgba, { raw: { width: meta.width, height: meta.height, channels: 4 } }).png().toBuffer();
      return sendBytes(res, out, 'image/png', disposition);
    }
    let contentType = MIME[path.extname(filename).toLowerCase()] ?? 'application/octet-stream';
    if (['text/html', 'text/javascript', 'text/css', 'application/xhtml+xml'].includes(contentType)) contentType = 'application/octet-stream';
    const bytes = await readFile(file);
    const etag = `"${createHash('sha1').update(`${st.mtimeMs}:${st.size}`).digest('hex').slice(0, 16)}"`;
    const headers = { ...disposition, ETag: etag, 'Last-Modified': st.mtime.toUTCString(), 'Accept-Ranges': 'bytes' };
    const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
    if (range && (range[1] || range[2])) {
      const start = range[1] ? Number(range[1]) : Math.max(0, bytes.length - Number(range[2]));
      const end = range[1] && range[2] ? Math.min(Number(range[2]), bytes.length - 1) : bytes.length - 1;
      if (start > end || start >= bytes.length) {
        res.writeHead(416, { 'Content-Range': `bytes */${bytes.length}` });
        return void res.end();
      }
      res.writeHead(206, { 'Content-Type': contentType, 'Content-Length': end - start + 1, 'Content-Range': `bytes ${start}-${end}/${bytes.length}`, ...headers });
      return void res.end(bytes.subarray(start, end + 1));
    }
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, headers);
      return void res.end();
    }
    sendBytes(res, bytes, contentType, headers);
  },
}];
