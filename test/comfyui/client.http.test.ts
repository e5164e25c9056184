import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AppError, ErrorCode } from '#shared/errors.ts';
import { ComfyClient, ComfyValidationError, type PromptGraph } from '#shared/comfyui/index.ts';
import { LogTap } from './log-tap.ts';
import { json, startScriptedServer } from './scripted-server.ts';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

function client(url: string, tap = new LogTap(), retries = 3): ComfyClient {
  return new ComfyClient({ baseUrl: url, clientId: 'svc-1', logger: tap.logger, retries, timeoutMs: 1_000, backoff: { baseMs: 10, maxMs: 50 } });
}

const prompt: PromptGraph = { '1': { class_type: 'KSampler', inputs: { seed: 18446744073709551615n } } };
const promptId = '3f1c7a52-8f0e-4c6e-9d0a-5b1f1d2a9e11';

/** A port nobody listens on (connections are refused). */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('ComfyClient HTTP behaviour', () => {
  it('sends our client_id, the caller prompt_id and the exact seed', async () => {
    let body = '';
    const srv = await startScriptedServer((req, res) => {
      body = req.body;
      json(res, 200, `{"prompt_id":"${promptId}","number":7,"node_errors":{}}`);
    });
    closers.push(srv.close);
    const result = await client(srv.url).submit(prompt, { promptId });
    expect(result).toEqual({ promptId, number: 7, nodeErrors: {} });
    expect(body).toBe(`{"prompt":{"1":{"class_type":"KSampler","inputs":{"seed":18446744073709551615}}},"client_id":"svc-1","prompt_id":"${promptId}"}`);
  });

  it('refuses a prompt id that is not a canonical UUID before sending', async () => {
    const srv = await startScriptedServer((_req, res) => json(res, 200, '{}'));
    closers.push(srv.close);
    await expect(client(srv.url).submit(prompt, { promptId: 'JOB-1' })).rejects.toMatchObject({ code: ErrorCode.Validation });
    expect(srv.requests).toEqual([]);
  });

  it('retries 5xx with backoff and logs with the prompt id', async () => {
    let calls = 0;
    const srv = await startScriptedServer((req, res) => {
      if (req.url === '/prompt' && ++calls <= 2) return json(res, 500, '"boom"');
      if (req.url === '/queue') return json(res, 200, '{"queue_running":[],"queue_pending":[]}');
      if (req.url?.startsWith('/history/')) return json(res, 200, '{}');
      json(res, 200, `{"prompt_id":"${promptId}","number":1,"node_errors":{}}`);
    });
    closers.push(srv.close);
    const tap = new LogTap();
    await client(srv.url, tap).submit(prompt, { promptId });
    const retries = tap.lines.filter((l) => l.msg === 'ComfyUI request failed, retrying');
    expect(retries).toHaveLength(2);
    expect(retries.every((l) => l.promptId === promptId)).toBe(true);
    expect(srv.requests.filter((r) => r === 'POST /prompt')).toHaveLength(3);
  });

  it('never retries a 400 and turns it into a ComfyValidationError', async () => {
    const srv = await startScriptedServer((_req, res) =>
      json(
        res,
        400,
        '{"error":{"type":"prompt_outputs_failed_validation","message":"Prompt outputs failed validation","details":"","extra_info":{}},"node_errors":{"3":{"errors":[{"type":"value_bigger_than_max","message":"Value 150.0 bigger than max of 100.0","details":"cfg","extra_info":{"input_name":"cfg","input_config":["FLOAT",{"default":8.0,"min":0.0,"max":100.0}],"received_value":150.0}}],"dependent_outputs":["9"],"class_type":"KSampler"}}}',
      ),
    );
    closers.push(srv.close);
    const err = await client(srv.url).submit(prompt, { promptId }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ComfyValidationError);
    expect((err as ComfyValidationError).message).toBe("ComfyUI rejected the prompt: KSampler (node 3) input 'cfg': value 150 is above the maximum 100 — lower it");
    expect(srv.requests).toEqual(['POST /prompt']);
  });

  it('does not submit twice when a POST reached the server but the answer was lost', async () => {
    let queued = false;
    const srv = await startScriptedServer((req, res) => {
      if (req.url === '/prompt') {
        if (!queued) {
          queued = true;
          req.socket.destroy(); // accepted, then the connection died before the answer
          return;
        }
        return json(res, 200, `{"prompt_id":"${promptId}","number":2,"node_errors":{}}`);
      }
      if (req.url === '/queue') return json(res, 200, `{"queue_running":[],"queue_pending":[[1,"${promptId}",{},{},["9"]]]}`);
      json(res, 200, '{}');
    });
    closers.push(srv.close);
    const result = await client(srv.url).submit(prompt, { promptId });
    expect(result).toEqual({ promptId, number: undefined, nodeErrors: {} });
    expect(srv.requests.filter((r) => r === 'POST /prompt')).toHaveLength(1);
  });

  it('gives up on refused connections with a clear ComfyUnavailable error', async () => {
    const port = await freePort();
    const err = await client(`http://127.0.0.1:${port}`, new LogTap(), 2).queue().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe(ErrorCode.ComfyUnavailable);
    expect((err as AppError).message).toBe(`ComfyUI at http://127.0.0.1:${port} could not be reached (GET /queue, 3 attempts: ECONNREFUSED) — check that it is running and reachable`);
  });

  it('times out a hanging call and retries it', async () => {
    let calls = 0;
    const srv = await startScriptedServer((_req, res) => {
      if (++calls === 1) return; // never answers
      json(res, 200, '{"queue_running":[],"queue_pending":[]}');
    });
    closers.push(srv.close);
    // The timeout must outlast a loaded machine's answer to the second call, or that one times out too.
    const c = new ComfyClient({ baseUrl: srv.url, logger: new LogTap().logger, timeoutMs: 1500, retries: 2, backoff: { baseMs: 10, maxMs: 20 } });
    await expect(c.queue()).resolves.toEqual({ running: [], pending: [] });
    expect(calls).toBe(2);
  });

  it('reports queue positions in run order and cancels by stage', async () => {
    const posts: string[] = [];
    const srv = await startScriptedServer((req, res) => {
      if (req.method === 'POST') {
        posts.push(`${req.url} ${req.body}`);
        return res.writeHead(200).end();
      }
      json(res, 200, '{"queue_running":[[2,"run",{},{},["9"]]],"queue_pending":[[5,"late",{},{},["9"]],[3,"next",{},{},["9"]]]}');
    });
    closers.push(srv.close);
    const c = client(srv.url);
    expect(await c.queuePosition('next')).toEqual({ state: 'pending', position: 0 });
    expect(await c.queuePosition('late')).toEqual({ state: 'pending', position: 1 });
    expect(await c.queuePosition('run')).toEqual({ state: 'running' });
    expect(await c.cancel('run')).toBe('interrupted');
    expect(await c.cancel('gone')).toBe('not_found');
    expect(posts).toEqual(['/interrupt {"prompt_id":"run"}']);
  });
});

describe('ComfyClient /view downloads', () => {
  it('streams to a file, restarts a transfer cut mid-body, and reports a missing file', async () => {
    const payload = Buffer.alloc(512 * 1024, 7);
    let calls = 0;
    const srv = await startScriptedServer((req, res) => {
      const url = new URL(req.url!, 'http://x');
      if (url.searchParams.get('filename') !== 'job_00001_.png') return res.writeHead(404).end();
      expect(url.searchParams.get('subfolder')).toBe('genonaut');
      expect(url.searchParams.get('type')).toBe('output');
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': payload.length });
      if (++calls === 1) {
        res.write(payload.subarray(0, 1000));
        setTimeout(() => res.destroy(), 10);
        return;
      }
      res.end(payload);
    });
    closers.push(srv.close);
    const dir = await mkdtemp(join(tmpdir(), 'comfy-dl-'));
    closers.push(() => rm(dir, { recursive: true, force: true }));
    const c = client(srv.url);
    const dest = join(dir, 'out.png');
    const result = await c.download({ filename: 'job_00001_.png', subfolder: 'genonaut', type: 'output' }, dest);
    expect(result).toEqual({ path: dest, bytes: payload.length });
    expect((await readFile(dest)).equals(payload)).toBe(true);
    expect(calls).toBe(2);
    expect(await readdir(dir)).toEqual(['out.png']);

    await expect(c.download({ filename: 'nope.png', subfolder: '', type: 'output' }, join(dir, 'x.png'))).rejects.toMatchObject({ code: ErrorCode.NotFound });
    expect(await readdir(dir)).toEqual(['out.png']);
  });

  it('falls back to /queue, /history and /interrupt when a newer-looking server lacks the jobs routes; tolerates 6-element queue entries', async () => {
    const running = '11111111-2222-4333-8444-555555555555';
    const srv = await startScriptedServer((req, res) => {
      if (req.url === '/system_stats') return json(res, 200, '{"system":{"os":"linux","comfyui_version":"0.41.0"},"devices":[]}');
      if (req.url === '/queue') {
        return json(res, 200, `{"queue_running":[[0,"${running}",{},{"client_id":"svc-1","create_time":1},["9"],{"sensitive":{}}]],`
          + `"queue_pending":[[2,"${promptId}",{},{"client_id":"svc-1"},["9"],{}]]}`);
      }
      if (req.url?.startsWith('/api/jobs/')) return res.writeHead(404, { 'content-type': 'text/plain' }).end('404: Not Found');
      if (req.url === '/interrupt') return res.writeHead(200).end();
      res.writeHead(404).end();
    });
    closers.push(srv.close);
    const tap = new LogTap();
    const c = client(srv.url, tap);
    expect(await c.serverKind()).toEqual({ version: '0.41.0', jobsApi: true });
    expect(await c.lookup(promptId)).toEqual({ state: 'pending', position: 0 });
    expect(await c.cancel(running)).toBe('interrupted');
    expect(srv.requests.filter((r) => r.startsWith('GET /api/jobs'))).toEqual([`GET /api/jobs/${promptId}`]);
    expect(srv.requests).toContain('POST /interrupt');
    expect(tap.count('ComfyUI has no /api/jobs routes after all; using /queue, /history and /interrupt')).toBe(1);
  });

  it('keeps the base URL path and sends the Authorization header on every call', async () => {
    const seen: { url?: string; auth?: string }[] = [];
    const srv = await startScriptedServer((req, res) => {
      seen.push({ url: req.url, auth: req.headers.authorization });
      if (req.url === '/comfy/system_stats') return json(res, 200, '{"system":{"os":"posix","comfyui_version":"0.3.64"},"devices":[]}');
      if (req.url === '/comfy/queue') return json(res, 200, '{"queue_running":[],"queue_pending":[]}');
      if (req.url === `/comfy/history/${promptId}`) return json(res, 200, '{}');
      res.writeHead(404).end();
    });
    closers.push(srv.close);
    const c = new ComfyClient({ baseUrl: `${srv.url}/comfy/`, authorization: 'Bearer t0ken-value-xyz', logger: new LogTap().logger, retries: 0 });
    expect(await c.lookup(promptId)).toEqual({ state: 'absent' });
    expect(await c.cancel(promptId)).toBe('not_found');
    expect(seen.length).toBeGreaterThanOrEqual(3);
    expect(seen.every((s) => s.url?.startsWith('/comfy/') && s.auth === 'Bearer t0ken-value-xyz')).toBe(true);
  });
});
