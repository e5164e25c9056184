/** The HTTP + WebSocket listener: routing (`/x` and `/api/x`), origin check, injected failures, listen/refuse/crash. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { HttpStatus, makeReq, originRefused, sendEmpty, sendServerError, sendText } from './http.ts';
import { infoRoutes } from './routes/info.ts';
import { jobRoutes } from './routes/jobs.ts';
import { promptRoutes } from './routes/prompt.ts';
import { queueRoutes } from './routes/queue.ts';
import type { Route } from './routes/types.ts';
import { uploadRoutes } from './routes/upload.ts';
import { viewRoutes } from './routes/view.ts';
import { proxyRefusal, type ProxyAccess } from './proxy.ts';
import type { ComfyState } from './state.ts';

const ROUTES: Route[] = [...promptRoutes, ...queueRoutes, ...viewRoutes, ...uploadRoutes, ...infoRoutes, ...jobRoutes];

function match(method: string, path: string): { route: Route; params: string[] } | 'wrong-method' | undefined {
  let wrongMethod = false;
  for (const route of ROUTES) {
    const params = typeof route.path === 'string' ? (route.path === path ? [] : undefined) : route.path.exec(path)?.slice(1).map(decodeURIComponent);
    if (!params) continue;
    if (route.method === method || (method === 'HEAD' && route.method === 'GET')) return { route, params };
    wrongMethod = true;
  }
  return wrongMethod ? 'wrong-method' : undefined;
}

export class ComfyHttpServer {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly host: string;
  private readonly getState: () => ComfyState;
  private readonly access: ProxyAccess;
  /** `METHOD /path` of the latest requests that got past the proxy (oldest first, at most 1000). */
  readonly requests: string[] = [];
  /** How many requests got past the proxy, by `METHOD /first-segment` (e.g. `GET /history`), since start. */
  readonly requestCounts = new Map<string, number>();
  port: number;

  constructor(host: string, port: number, getState: () => ComfyState, access: ProxyAccess = {}) {
    this.host = host;
    this.port = port;
    this.getState = getState;
    this.access = access;
  }

  get listening(): boolean {
    return this.server?.listening ?? false;
  }

  async listen(): Promise<void> {
    if (this.server?.listening) return;
    const server = createServer((req, res) => void this.handle(req, res));
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    server.on('upgrade', (req, socket, head) => this.upgrade(req, socket as Socket, head));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, this.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Stops accepting connections (the port then refuses); open connections stay unless `destroy`. */
  async stopListening(destroy: boolean): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    const closed = new Promise<void>((r) => server.close(() => r()));
    if (destroy) {
      for (const s of this.sockets) s.destroy();
      this.sockets.clear();
      await closed;
      // Give in-process clients (tests) an I/O turn to see the resets before anyone reconnects.
      await new Promise<void>((r) => setTimeout(r, 5));
    } else {
      server.closeIdleConnections();
      // The listening handle is gone at once; 'close' itself waits for open connections.
      await new Promise<void>((r) => setImmediate(r));
    }
  }

  private upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const refused = proxyRefusal(this.access, req);
    if (refused !== undefined) {
      socket.end(`HTTP/1.1 ${refused === 401 ? '401 Unauthorized' : '404 Not Found'}\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if ((path !== '/ws' && path !== '/api/ws') || originRefused(req.headers)) {
      socket.end(`HTTP/1.1 ${originRefused(req.headers) ? '403 Forbidden' : '404 Not Found'}\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    this.getState().hub.upgrade(req, socket, head);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const refused = proxyRefusal(this.access, req);
    if (refused !== undefined) return sendText(res, refused, refused === 401 ? '401: Unauthorized' : '404: Not Found');
    const state = this.getState();
    const r = makeReq(req);
    this.requests.push(`${r.method} ${r.rawPath}`);
    if (this.requests.length > 1000) this.requests.shift();
    const kind = `${r.method} /${r.path.split('/')[1] ?? ''}`;
    this.requestCounts.set(kind, (this.requestCounts.get(kind) ?? 0) + 1);
    try {
      const injected = state.faults.takeRequestFailure(new URL(req.url ?? '/', 'http://x').pathname);
      if (injected !== undefined) {
        await r.body().catch(() => undefined);
        return sendServerError(res, injected);
      }
      if (r.method === 'OPTIONS') return sendEmpty(res, 200);
      if (originRefused(req.headers)) return sendEmpty(res, 403);
      const found = match(r.method, r.path);
      if (found === undefined) return sendText(res, 404, '404: Not Found');
      if (found === 'wrong-method') return sendText(res, 405, '405: Method Not Allowed');
      await found.route.handler(r, res, state, found.params);
    } catch (ex) {
      if (ex instanceof HttpStatus && ex.text !== undefined && !res.headersSent) sendText(res, ex.status, ex.text);
      else sendServerError(res, ex instanceof HttpStatus ? ex.status : 500);
    }
  }
}
