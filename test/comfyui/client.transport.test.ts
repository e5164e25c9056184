import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { inspect } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AppError, ErrorCode } from '#shared/errors.ts';
import { ComfyClient, type PromptGraph } from '#shared/comfyui/index.ts';
import { LogTap } from './log-tap.ts';
import { json, startScriptedServer, type Handler } from './scripted-server.ts';

/*
 * Transport failures on real sockets: what undici's request() rejects with for each (ECONNRESET,
 * UND_ERR_SOCKET, our TimeoutError), how each is retried, reported and kept free of secrets.
 */

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

async function server(handler: Handler) {
  const srv = await startScriptedServer(handler);
  closers.push(srv.close);
  return srv;
}

function client(baseUrl: string, opts: { tap?: LogTap; retries?: number; timeoutMs?: number; authorization?: string; downloadTimeoutMs?: number } = {}): ComfyClient {
  return new ComfyClient({
    baseUrl,
    logger: (opts.tap ?? new LogTap()).logger,
    retries: opts.retries ?? 1,
    timeoutMs: opts.timeoutMs ?? 2_000,
    downloadTimeoutMs: opts.downloadTimeoutMs,
    authorization: opts.authorization,
    backoff: { baseMs: 10, maxMs: 20 },
  });
}

const emptyQueue = '{"queue_running":[],"queue_pending":[]}';
const promptId = '3f1c7a52-8f0e-4c6e-9d0a-5b1f1d2a9e11';
const prompt: PromptGraph = { '1': { class_type: 'KSampler', inputs: { seed: 1 } } };

/** How the server drops a connection it accepted: an RST (ECONNRESET) or a plain close (FIN). */
const drops = [
  { how: 'reset', drop: (res: ServerResponse) => res.socket!.resetAndDestroy(), reason: 'ECONNRESET' },
  { how: 'close', drop: (res: ServerResponse) => res.socket!.destroy(), reason: 'the connection closed (other side closed)' },
] as const;

describe.each(drops)('a connection the server drops ($how)', ({ drop, reason }) => {
  it('is retried, logged as an outage and its end', async () => {
    let calls = 0;
    const srv = await server((_req, res) => (++calls === 1 ? drop(res) : json(res, 200, emptyQueue)));
    const tap = new LogTap();
    await expect(client(srv.url, { tap }).queue()).resolves.toEqual({ running: [], pending: [] });
    expect(calls).toBe(2);
    expect(tap.count(`ComfyUI at ${srv.url} unreachable; retrying (one line when it recovers)`)).toBe(1);
    expect(tap.count(/unreachable for .*, 1 failed requests, recovered$/)).toBe(1);
  });

  it('gives up with the reason once the retries are spent', async () => {
    const srv = await server((_req, res) => drop(res));
    const err = await client(srv.url).queue().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ErrorCode.ComfyUnavailable });
    expect((err as AppError).message).toBe(`ComfyUI at ${srv.url} could not be reached (GET /queue, 2 attempts: ${reason}) — check that it is running and reachable`);
  });

  it('may have reached ComfyUI on a POST /prompt: the queue is asked before sending again', async () => {
    let posts = 0;
    const srv = await server((req, res) => {
      if (req.url === '/prompt') return ++posts === 1 ? drop(res) : json(res, 200, `{"prompt_id":"${promptId}","number":3,"node_errors":{}}`);
      if (req.url === '/queue') return json(res, 200, emptyQueue);
      json(res, 200, '{}');
    });
    await expect(client(srv.url).submit(prompt, { promptId })).resolves.toEqual({ promptId, number: 3, nodeErrors: {} });
    expect(srv.requests).toEqual(['POST /prompt', 'GET /queue', `GET /history/${promptId}`, 'POST /prompt']);
  });
});

describe('timeouts and aborts', () => {
  it('a call that never gets an answer times out on every attempt, then says so', async () => {
    const srv = await server(() => undefined);
    const started = performance.now();
    const err = await client(srv.url, { timeoutMs: 150 }).queue().catch((e: unknown) => e);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(srv.requests).toEqual(['GET /queue', 'GET /queue']);
    expect((err as AppError).message).toBe(`ComfyUI at ${srv.url} could not be reached (GET /queue, 2 attempts: the request timed out) — check that it is running and reachable`);
  });

  it('the timeout also bounds a download whose body stalls', async () => {
    const srv = await server((_req, res) => {
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': 1000 });
      res.write(Buffer.alloc(100));
    });
    const stream = await client(srv.url, { downloadTimeoutMs: 200 }).openOutput({ filename: 'a.png', subfolder: '', type: 'output' });
    const err = await stream.toArray().catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'TimeoutError' });
  });

  it('the caller abort ends the call at once, with its reason and without a retry', async () => {
    const controller = new AbortController();
    const reason = new Error('job cancelled');
    // Aborted once the request has arrived and waits for its answer (a timer from the start raced a
    // loaded machine, where the request could still be on its way).
    const srv = await server(() => void setTimeout(() => controller.abort(reason), 20));
    const started = performance.now();
    await expect(client(srv.url, { retries: 3 }).queue(controller.signal)).rejects.toBe(reason);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(srv.requests).toEqual(['GET /queue']);
  });
});

describe('answers the client does not read', () => {
  it('are discarded: a large one does not hold its connection until the timeout', async () => {
    const big = 'x'.repeat(1024 * 1024);
    let queued = true;
    const srv = await server((req, res) => {
      if (req.url?.startsWith('/models/') || req.url?.startsWith('/view_metadata/')) return res.writeHead(404).end(big);
      if (req.url === '/queue' && req.method === 'GET') return json(res, 200, queued ? '{"queue_running":[],"queue_pending":[[1,"gone",{},{},["9"]]]}' : emptyQueue);
      if (req.url === '/queue') queued = false;
      res.writeHead(200).end(big);
    });
    let closed = 0;
    srv.server.on('connection', (socket) => socket.on('close', () => closed++));
    const c = client(srv.url, { timeoutMs: 10_000 });
    const released = (n: number) => vi.waitFor(() => expect(closed).toBe(n), { timeout: 1_000 });
    await expect(c.models('nope')).rejects.toMatchObject({ code: ErrorCode.NotFound });
    await released(1);
    expect(await c.viewMetadata('loras', 'x.safetensors')).toBeUndefined();
    await released(2);
    expect(await c.cancel('gone')).toBe('dequeued'); // POST /queue's answer is not read
    await released(3);
  });

  it('a redirect is not followed: it names where the base URL should point', async () => {
    const srv = await server((_req, res) => res.writeHead(301, { location: 'https://gpu.example/comfy/queue' }).end('moved'));
    const err = await client(srv.url).queue().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).message).toBe(`ComfyUI at ${srv.url} redirected GET /queue to https://gpu.example/comfy/queue (HTTP 301) — redirects are not followed: set the instance's base URL to where it points`);
    expect(srv.requests).toEqual(['GET /queue']);
  });
});

describe('secrets', () => {
  const token = `tok-${randomBytes(16).toString('hex')}`;

  it('the Authorization header never reaches an error or a log line, whatever failed', async () => {
    const srv = await server((req, res) => (req.url === '/queue' ? res.socket!.resetAndDestroy() : undefined));
    const tap = new LogTap();
    const c = client(srv.url, { tap, authorization: `Bearer ${token}`, timeoutMs: 100 });
    const errors = [await c.queue().catch((e: unknown) => e), await c.systemStats().catch((e: unknown) => e)];
    // A header value undici refuses (a line break) fails before sending, naming only the header.
    const bad = client(srv.url, { tap, authorization: `Bearer ${token}\r\nx-injected: 1` });
    errors.push(await bad.queue().catch((e: unknown) => e));
    expect(errors.map((e) => (e as { code?: string }).code)).toEqual([ErrorCode.ComfyUnavailable, ErrorCode.ComfyUnavailable, 'UND_ERR_INVALID_ARG']);
    for (const err of errors) expect(inspect(err, { depth: 20, showHidden: true })).not.toContain(token);
    expect(tap.lines.length).toBeGreaterThan(2);
    expect(JSON.stringify(tap.lines)).not.toContain(token);
  });

  it('credentials in the base URL are refused before sending, and never shown', async () => {
    const srv = await server((_req, res) => json(res, 200, emptyQueue));
    const password = `pw${randomBytes(8).toString('hex')}`;
    const err = await client(srv.url.replace('http://', `http://operator:${password}@`)).queue().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ErrorCode.ComfyUnavailable });
    expect((err as AppError).message).toBe(`ComfyUI base URL ${srv.url} carries a user or password, which is never sent — give the reverse proxy's Authorization header in COMFYUI_AUTHORIZATIONS instead`);
    expect(inspect(err, { depth: 20, showHidden: true })).not.toContain(password);
    expect(srv.requests).toEqual([]);
  });
});
