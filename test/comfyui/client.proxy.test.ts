import { randomBytes, randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { simVersions, startComfySim, type ComfySim } from '#sim/comfyui/index.ts';
import { buildTxt2Img, ComfyClient } from '#shared/comfyui/index.ts';
import { ErrorCode } from '#shared/errors.ts';
import { captureLogs } from '../support/log-capture.ts';
import { txt2imgParams } from './fixtures.ts';

const token = `proxy-${randomBytes(24).toString('hex')}`;
const authorization = `Bearer ${token}`;
const open: { sim?: ComfySim; clients: ComfyClient[] } = { clients: [] };

afterEach(async () => {
  await Promise.all(open.clients.splice(0).map((c) => c.close()));
  await open.sim?.close();
});

async function proxiedSim(version: (typeof simVersions)[number]): Promise<ComfySim> {
  open.sim = await startComfySim({ models: { checkpoints: ['a.safetensors'] }, secondsPerStep: 0.002, version, proxy: { basePath: '/comfy', bearerToken: token } });
  return open.sim;
}

function client(sim: ComfySim, opts: { authorization?: string; logger?: ComfyClient['logger']; baseUrl?: string }): ComfyClient {
  const c = new ComfyClient({ baseUrl: opts.baseUrl ?? sim.url, authorization: opts.authorization, logger: opts.logger, retries: 1, timeoutMs: 2_000, backoff: { baseMs: 20, maxMs: 100 } });
  open.clients.push(c);
  return c;
}

/** Resolves with the HTTP status of the upgrade answer (101 when the socket opened). */
function wsStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.on('open', () => {
      ws.close();
      resolve(101);
    });
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on('error', (err) => reject(err));
  });
}

const graph = () => buildTxt2Img(txt2imgParams({ checkpoint: 'a.safetensors', steps: 4, seed: String(Math.floor(Math.random() * 1e9)), filenamePrefix: `proxy/${randomUUID()}` }));

describe.each(simVersions)('ComfyUI %s behind a reverse proxy with a base path and a bearer token', (version) => {
  it('refuses HTTP and WebSocket calls without the token or outside the base path', async () => {
    const sim = await proxiedSim(version);
    const origin = new URL(sim.url).origin;
    expect(sim.url).toBe(`${origin}/comfy`);
    expect((await fetch(`${sim.url}/system_stats`)).status).toBe(401);
    expect((await fetch(`${sim.url}/system_stats`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await fetch(`${origin}/system_stats`, { headers: { authorization } })).status).toBe(404);
    expect((await fetch(`${sim.url}/system_stats`, { headers: { authorization } })).status).toBe(200);
    const ws = `${sim.url.replace(/^http/, 'ws')}/ws?clientId=probe`;
    expect(await wsStatus(ws)).toBe(401);
    expect(await wsStatus(`${origin.replace(/^http/, 'ws')}/ws?clientId=probe`, { authorization })).toBe(404);
    expect(await wsStatus(ws, { authorization })).toBe(101);

    const { lines, logger } = captureLogs();
    const anonymous = client(sim, { logger });
    await expect(anonymous.systemStats()).rejects.toMatchObject({ code: ErrorCode.ComfyExecution, message: expect.stringMatching(/HTTP 401/) });
    await expect(anonymous.events().waitConnected(300)).rejects.toThrow(/not connected/);
    expect(lines.join('\n')).toMatch(/ComfyUI refused the WebSocket upgrade with HTTP 401 — check the instance's authorization header/);
  });

  it('runs, follows (events over the WebSocket), downloads and cancels through the proxy; the header is never logged', async () => {
    const sim = await proxiedSim(version);
    const { lines, logger } = captureLogs('trace');
    const c = client(sim, { authorization, logger, baseUrl: `${sim.url}/` });
    const events: string[] = [];
    c.events().subscribe((e) => events.push(e.type));
    await c.events().waitConnected(5_000);

    const promptId = randomUUID();
    await c.submit(graph(), { promptId });
    // Polling is off for the test's length: only WebSocket events can finish this.
    const outcome = await c.followPrompt(promptId, { pollIntervalMs: 600_000, timeoutMs: 10_000 });
    expect(outcome.status).toBe('success');
    expect(events).toEqual(expect.arrayContaining(['execution_start', 'executed', 'execution_success']));
    if (outcome.status !== 'success') return;
    const chunks: Buffer[] = [];
    for await (const chunk of await c.openOutput(outcome.images[0]!)) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).subarray(1, 4).toString()).toBe('PNG');

    sim.pause();
    const pendingId = randomUUID();
    await c.submit(graph(), { promptId: pendingId });
    expect(await c.lookup(pendingId)).toEqual({ state: 'pending', position: 0 });
    expect(await c.cancel(pendingId)).toBe('dequeued');
    sim.resume();
    expect(sim.requests.some((r) => r.startsWith('GET /comfy'))).toBe(false); // the proxy removed the prefix
    expect(sim.requests).toContain(version === '0.38' ? `POST /api/jobs/${pendingId}/cancel` : 'POST /queue');

    expect(lines.length).toBeGreaterThan(5);
    const all = lines.join('\n');
    expect(all).toContain(promptId);
    expect(all).not.toContain(token);
  });
});
