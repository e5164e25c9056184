import type { ServerResponse } from 'node:http';
import type { SimState } from '../state.ts';

/** `GET /cdn/attachments/{channel_id}/{attachment_id}/{filename}`: the bytes of an uploaded attachment. */
export function serveCdn(state: SimState, pathname: string, res: ServerResponse): void {
  const match = /^\/cdn\/attachments\/(\d+)\/(\d+)\/[^/]+$/.exec(pathname);
  const file = match ? state.files.get(match[2]!) : undefined;
  if (!file || file.channelId !== match![1]) {
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not Found');
    return;
  }
  res.writeHead(200, { 'Content-Type': file.contentType, 'Content-Length': String(file.bytes.byteLength) }).end(file.bytes);
}
