import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Koa from 'koa';
import { createAdminApp, type AdminAppDeps } from './app.ts';
import { answerClientError } from './client-error.ts';
import { GoneListener } from './images/gone-listener.ts';
import { OutputsCache } from './images/outputs-cache.ts';
import { outputsLoader } from './routes/images.ts';

export interface StartAdminApiOptions extends AdminAppDeps {
  host: string;
  port: number;
  /** When given, a deleted generation's images answer 410 at once: the outputs cache listens for deletions here. */
  databaseUrl?: string;
}

export interface RunningAdminApi {
  url: string;
  /** Stops accepting connections, ends idle keep-alive sockets and waits for in-flight requests. */
  close(): Promise<void>;
}

/** The HTTP server for the app, not listening: timeouts and the error shape for requests Node's parser refuses. */
export function createAdminServer(app: Koa): Server {
  const server = createServer(app.callback());
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  server.on('clientError', answerClientError);
  return server;
}

/** Serves the admin API on host:port (port 0 picks a free one). Does not own the pool or ORM it is given. */
export async function startAdminApi(opts: StartAdminApiOptions): Promise<RunningAdminApi> {
  const { host, port, databaseUrl, ...deps } = opts;
  let gone: GoneListener | undefined;
  if (databaseUrl && !deps.images.outputs) {
    const outputs = new OutputsCache(outputsLoader(deps.db));
    gone = new GoneListener(databaseUrl, outputs, deps.logger);
    await gone.listen();
    deps.images = { ...deps.images, outputs };
  }
  const server = createAdminServer(createAdminApp(deps));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${shownHost}:${address.port}`;
  deps.logger.info({ url }, 'admin api listening');
  let closing: Promise<void> | undefined;
  return {
    url,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeIdleConnections();
      }).finally(() => gone?.close());
      return closing;
    },
  };
}
