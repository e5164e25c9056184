import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from '#shared/logging.ts';

export type CheckResult = 'ok' | 'down' | 'missing';

export interface Readiness {
  ready: boolean;
  checks: Record<string, CheckResult>;
}

export interface MetricsServerOptions {
  host: string;
  /** 0 picks a free port (tests); callers skip the server entirely when the configured port is 0. */
  port: number;
  registry: Registry;
  /** What this role needs to do its work; answered by `/readyz` (200 when ready, 503 otherwise). */
  readiness: () => Promise<Readiness>;
  logger: Logger;
}

export interface RunningMetricsServer {
  url: string;
  close(): Promise<void>;
}

const headers = { 'x-content-type-options': 'nosniff', 'cache-control': 'no-store' };

/**
 * The bot's and the scheduler's own small HTTP listener: `GET /metrics` (Prometheus text),
 * `/healthz` (alive) and `/readyz`. Nothing else; it holds no secrets and changes nothing.
 */
export async function startMetricsServer(opts: MetricsServerOptions): Promise<RunningMetricsServer> {
  const server: Server = createServer((req, res) => {
    const answer = (status: number, type: string, body: string) => {
      res.writeHead(status, { ...headers, 'content-type': type });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    const json = (status: number, body: unknown) => answer(status, 'application/json; charset=utf-8', JSON.stringify(body));
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(405, { error: { code: 'method_not_allowed', message: 'only GET and HEAD', details: null } });
    const path = (req.url ?? '/').split('?')[0];
    const run = async () => {
      if (path === '/metrics') return answer(200, opts.registry.contentType, await opts.registry.metrics());
      if (path === '/healthz') return json(200, { status: 'ok', uptimeSeconds: Math.round(process.uptime()) });
      if (path === '/readyz') {
        const r = await opts.readiness();
        return json(r.ready ? 200 : 503, { status: r.ready ? 'ready' : 'not_ready', checks: r.checks });
      }
      return json(404, { error: { code: 'not_found', message: 'only /metrics, /healthz and /readyz are here', details: null } });
    };
    run().catch((err: unknown) => {
      opts.logger.warn({ err }, 'metrics endpoint failed');
      if (!res.headersSent) json(500, { error: { code: 'internal', message: 'metrics unavailable', details: null } });
      else res.destroy();
    });
  });
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  opts.logger.info({ url }, 'metrics listening');
  return {
    url,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** Runs `check` with a deadline: a hung dependency reads as down, not as a hung probe. */
export async function probe(check: () => Promise<CheckResult>, timeoutMs: number): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(() => resolve('down'), timeoutMs);
  });
  try {
    return await Promise.race([check().catch((): CheckResult => 'down'), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
