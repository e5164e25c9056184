import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Koa from 'koa';
import { createAdminApp, type AdminAppDeps } from './app.ts';
import { answerClientError } from './client-error.ts';

export interface StartAdminApiOptions extends AdminAppDeps {
  host: string;
  port: number;
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
  const { host, port, ...deps } = opts;
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
  deps.logger.info({ url, console: `${url}/admin`, docs: `${url}/docs` }, 'admin api listening');
  let closing: Promise<void> | undefined;
  return {
    url,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}
