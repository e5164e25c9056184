import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

/**
 * A WebSocket endpoint with ComfyUI's sid routing (API.md §5.1), including its trap: when any
 * socket of a sid closes, whatever socket is mapped under that sid *then* is removed.
 */
export class SidRoutingServer {
  readonly wss: WebSocketServer;
  readonly sockets = new Map<string, WebSocket>();
  /** Highest number of simultaneously open sockets seen per sid. */
  readonly maxOpen = new Map<string, number>();
  connections = 0;
  #open = new Map<string, number>();

  private constructor(wss: WebSocketServer) {
    this.wss = wss;
    wss.on('connection', (ws, req) => {
      const sid = new URL(req.url ?? '/', 'http://x').searchParams.get('clientId') || 'generated';
      this.connections++;
      this.#open.set(sid, (this.#open.get(sid) ?? 0) + 1);
      this.maxOpen.set(sid, Math.max(this.maxOpen.get(sid) ?? 0, this.#open.get(sid)!));
      this.sockets.set(sid, ws);
      ws.send(JSON.stringify({ type: 'status', data: { status: { exec_info: { queue_remaining: 0 } }, sid } }));
      ws.on('close', () => {
        this.#open.set(sid, this.#open.get(sid)! - 1);
        this.sockets.delete(sid); // the trap: not necessarily this socket
      });
    });
  }

  static async start(): Promise<SidRoutingServer> {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((r) => wss.once('listening', () => r()));
    return new SidRoutingServer(wss);
  }

  get url(): string {
    return `http://127.0.0.1:${(this.wss.address() as AddressInfo).port}`;
  }

  /** Sends to the sid's mapped socket; false when nothing is mapped (message dropped). */
  send(sid: string, type: string, data: unknown): boolean {
    const ws = this.sockets.get(sid);
    if (!ws) return false;
    ws.send(JSON.stringify({ type, data }));
    return true;
  }

  sendBinary(sid: string, frame: Buffer): void {
    this.sockets.get(sid)?.send(frame, { binary: true });
  }

  dropAll(): void {
    for (const ws of this.wss.clients) ws.terminate();
  }

  async close(): Promise<void> {
    this.dropAll();
    await new Promise<void>((r) => this.wss.close(() => r()));
  }
}
