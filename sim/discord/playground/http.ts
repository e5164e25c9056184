import type { IncomingMessage, ServerResponse } from 'node:http';

export class PlaygroundHttpError extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** The stand-in answers like Discord: `{ message, code }` (code 0: not one of Discord's). */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }).end(JSON.stringify(body));
}

export function sendError(res: ServerResponse, status: number, message: string): void {
  sendJson(res, status, { message, code: 0 });
}

export const jsonBodyCap = 64 * 1024;

export async function readJson(req: IncomingMessage, cap = jsonBodyCap): Promise<unknown> {
  return (await readJsonSized(req, cap)).value;
}

/** The parsed body and its size in bytes. */
export async function readJsonSized(req: IncomingMessage, cap: number): Promise<{ value: unknown; bytes: number }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > cap) throw new PlaygroundHttpError(413, `request body over ${cap} bytes`);
    chunks.push(chunk);
  }
  try {
    return { value: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown, bytes: size };
  } catch {
    throw new PlaygroundHttpError(400, 'request body is not JSON');
  }
}
