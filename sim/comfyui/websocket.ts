/** The `/ws` side of server.py: sid → socket routing, JSON and binary sends, feature flags. */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { dumps, type Loose } from './pyjson.ts';

export interface SocketHubEvents {
  /** Data for the connect-time `status`. */
  queueInfo(): Loose;
  /** `executing` to replay to a reconnecting client of the running prompt, if a node is running. */
  runningNodeFor(sid: string): string | undefined;
  serverFeatures(): Loose;
}

export class SocketHub {
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly sockets = new Map<string, WebSocket>();
  private readonly previewMetadata = new WeakSet<WebSocket>();
  private readonly all = new Set<WebSocket>();
  private readonly events: SocketHubEvents;
  /** Called for every JSON message sent (after routing), for tests and `waitFor`. */
  onSend: ((type: string, data: Loose, sid: string | null) => void) | undefined;

  constructor(events: SocketHubEvents) {
    this.events = events;
  }

  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, req));
  }

  private accept(ws: WebSocket, req: IncomingMessage): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const sid = url.searchParams.get('clientId') || randomUUID().replaceAll('-', '');
    this.sockets.set(sid, ws);
    this.all.add(ws);
    let first = true;
    ws.on('message', (raw, isBinary) => {
      if (isBinary) return;
      const wasFirst = first;
      first = false;
      if (!wasFirst) return;
      try {
        const msg = JSON.parse(raw.toString()) as { type?: unknown; data?: { supports_preview_metadata?: unknown } };
        if (msg.type === 'feature_flags') {
          if (msg.data?.supports_preview_metadata === true) this.previewMetadata.add(ws);
          ws.send(dumps({ type: 'feature_flags', data: this.events.serverFeatures() }));
        }
      } catch {
        // ComfyUI logs and ignores bad client messages
      }
    });
    ws.on('close', () => {
      this.all.delete(ws);
      // Quirk kept on purpose: the handler removes whatever socket is mapped under this sid now.
      this.sockets.delete(sid);
    });
    ws.on('error', () => undefined);
    ws.send(dumps({ type: 'status', data: { status: this.events.queueInfo(), sid } }));
    const node = this.events.runningNodeFor(sid);
    if (node !== undefined) ws.send(dumps({ type: 'executing', data: { node } }));
  }

  private targets(sid: string | null): WebSocket[] {
    if (sid === null) return [...this.sockets.values()];
    const ws = this.sockets.get(sid);
    return ws ? [ws] : [];
  }

  /** `send_sync(event, data, sid)`: sid null broadcasts. */
  send(type: string, data: Loose, sid: string | null): void {
    const text = dumps({ type, data });
    for (const ws of this.targets(sid)) if (ws.readyState === ws.OPEN) ws.send(text);
    this.onSend?.(type, data, sid);
  }

  /** A preview: type 4 with metadata to sockets that negotiated it, else type 1 (`[1][format][bytes]`). */
  sendPreview(image: Buffer, format: 'JPEG' | 'PNG', metadata: Loose, sid: string | null, only: 'metadata' | 'plain'): void {
    for (const ws of this.targets(sid)) {
      if (ws.readyState !== ws.OPEN || this.previewMetadata.has(ws) !== (only === 'metadata')) continue;
      if (only === 'metadata') {
        const meta = Buffer.from(dumps(metadata), 'utf8');
        const header = Buffer.alloc(8);
        header.writeUInt32BE(4, 0);
        header.writeUInt32BE(meta.length, 4);
        ws.send(Buffer.concat([header, meta, image]));
      } else {
        const header = Buffer.alloc(8);
        header.writeUInt32BE(1, 0);
        header.writeUInt32BE(format === 'JPEG' ? 1 : 2, 4);
        ws.send(Buffer.concat([header, image]));
      }
    }
  }

  /** Fault: drop every socket abruptly (no close frame). */
  dropAll(): void {
    for (const ws of this.all) ws.terminate();
  }

  close(): void {
    this.dropAll();
    this.wss.close();
  }
}
