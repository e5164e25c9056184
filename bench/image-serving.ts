// Image serving, 4 MB original (DESIGN §9: time to first byte and throughput ≤ 1.2× the anchor),
// side by side with the anchor: fs.createReadStream piped to a bare http server. Same file, same
// client (node:http, keep-alive), same number of requests, in short alternating blocks (one request
// each when one at a time) so both sides see the same machine load.
// Ours goes the whole way a Discord link does: signed URL check, the generation row from Postgres,
// the sha256 integrity cache, the route's streamed body.
//   node bench/image-serving.ts          (BENCH_REQUESTS=200, BENCH_CONCURRENCY=8)
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { startAdminApi } from '#admin/start.ts';
import { createOrm } from '#shared/db/orm.ts';
import { asDb, createPool } from '#shared/db/pool.ts';
import { GenerationRepository } from '#shared/db/repositories/generation-repository.ts';
import { ImageLinks } from '#shared/images/image-links.ts';
import { createLogger } from '#shared/logging.ts';
import { generationPrefix, originalKey } from '#shared/storage/keys.ts';
import { LocalStorage } from '#shared/storage/local-storage.ts';
import { freshDatabase } from './lib/database.ts';
import { formatSummary, summarize } from './lib/stats.ts';

const requests = Number(process.env.BENCH_REQUESTS ?? 200);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 8);

interface Sample {
  ttfbMs: number;
  totalMs: number;
  bytes: number;
}

/** One GET: time to the first body byte and to the last. */
function fetchOnce(agent: Agent, url: URL): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let ttfbMs = 0;
    let bytes = 0;
    const req = request(url, { agent }, (res) => {
      if (res.statusCode !== 200) reject(new Error(`${url.pathname}: HTTP ${res.statusCode}`));
      res.on('data', (chunk: Buffer) => {
        if (bytes === 0) ttfbMs = performance.now() - t0;
        bytes += chunk.length;
      });
      res.on('end', () => resolve({ ttfbMs, totalMs: performance.now() - t0, bytes }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** `count` requests with `parallel` in flight on the agent's kept-alive sockets; samples plus wall time. */
async function pass(agent: Agent, url: URL, count: number, parallel: number): Promise<{ samples: Sample[]; wallMs: number; cpuMs: number }> {
  const samples: Sample[] = [];
  const cpu0 = process.cpuUsage();
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) {
        next++;
        samples.push(await fetchOnce(agent, url));
      }
    }),
  );
  const cpu = process.cpuUsage(cpu0);
  return { samples, wallMs: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000 };
}

const db = await freshDatabase('genonaut_bench_images');
const pool = createPool(db.url, { max: 10 });
const orm = await createOrm(db.url);
const storageDir = await mkdtemp(path.join(tmpdir(), 'gn-bench-images-'));
const storage = new LocalStorage(storageDir);
try {
  // Noise barely compresses: 1180² RGB gives a PNG of about 4 MB, like a large SDXL output.
  const png = await sharp({ create: { width: 1180, height: 1180, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 40 } } }).png().toBuffer();
  const repo = new GenerationRepository(asDb(pool));
  const g = await repo.create({
    id: crypto.randomUUID(), userId: '100000000000000001', guildId: null, channelId: '300000000000000001', applicationId: '400000000000000001',
    interactionId: null, interactionToken: null, interactionTokenExpiresAt: null, prompt: 'bench', negativePrompt: '', checkpoint: 'base.safetensors',
    loras: [], vae: null, width: 1180, height: 1180, batchSize: 1, seed: '1', steps: 1, cfg: 1, sampler: 'euler', scheduler: 'normal', denoise: 1,
    workflowTemplate: 'txt2img', parentId: null,
  });
  const put = await storage.put(originalKey(generationPrefix(g.userId, g.createdAt, g.id), 0), png);
  await repo.transition(g.id, 'running');
  await repo.transition(g.id, 'succeeded', { outputs: [{ index: 0, status: 'stored', path: put.key, bytes: put.bytes, sha256: put.sha256, width: 1180, height: 1180 }] });

  const links = new ImageLinks({ db: asDb(pool), ttlSeconds: 3600, baseUrl: 'http://unused' });
  const admin = await startAdminApi({
    db: asDb(pool), orm, adminToken: 'bench-admin-token-0123456789abcdef', logger: createLogger({ level: 'silent' }), host: '127.0.0.1', port: 0,
    images: { storage, links },
  });
  const signed = new URL(await links.url(g.id, 0));
  const ours = new URL(`${signed.pathname}${signed.search}`, admin.url);

  const file = path.join(storageDir, ...put.key.split('/'));
  const bare = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'image/png', 'content-length': put.bytes });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
  const anchor = new URL(`http://127.0.0.1:${(bare.address() as AddressInfo).port}/image.png`);

  // The first request to our route reads the file twice (sha256, then the body); later ones hit the cache.
  const cold = await fetchOnce(new Agent(), ours);

  console.log(`image serving: one ${(put.bytes / 1024 / 1024).toFixed(2)} MiB PNG, ${requests} requests per side per pass, keep-alive node:http client`);
  console.log(`first request to our route (hashes the file once): ttfb ${cold.ttfbMs.toFixed(1)} ms, total ${cold.totalMs.toFixed(1)} ms`);
  for (const parallel of [1, concurrency]) {
    const results = { anchor: { samples: [] as Sample[], wallMs: 0, cpuMs: 0 }, ours: { samples: [] as Sample[], wallMs: 0, cpuMs: 0 } };
    const agents = { anchor: new Agent({ keepAlive: true, maxSockets: parallel }), ours: new Agent({ keepAlive: true, maxSockets: parallel }) };
    // Warm-up, not counted: opens each side's sockets.
    await pass(agents.anchor, anchor, parallel * 2, parallel);
    await pass(agents.ours, ours, parallel * 2, parallel);
    const block = parallel === 1 ? 1 : parallel * 4;
    for (let r = 0; r * block < requests; r++) {
      const order = r % 2 === 0 ? (['anchor', 'ours'] as const) : (['ours', 'anchor'] as const);
      for (const side of order) {
        const { samples, wallMs, cpuMs } = await pass(agents[side], side === 'anchor' ? anchor : ours, Math.min(block, requests - r * block), parallel);
        results[side].samples.push(...samples);
        results[side].wallMs += wallMs;
        results[side].cpuMs += cpuMs;
      }
    }
    agents.anchor.destroy();
    agents.ours.destroy();
    const mibPerSecond = (side: 'anchor' | 'ours') => results[side].samples.reduce((n, s) => n + s.bytes, 0) / 1024 / 1024 / (results[side].wallMs / 1000);
    const ttfb = { anchor: summarize(results.anchor.samples.map((s) => s.ttfbMs)), ours: summarize(results.ours.samples.map((s) => s.ttfbMs)) };
    const total = { anchor: summarize(results.anchor.samples.map((s) => s.totalMs)), ours: summarize(results.ours.samples.map((s) => s.totalMs)) };
    console.log(`\n${parallel === 1 ? 'one request at a time' : `${parallel} requests in flight`}`);
    console.log(`${formatSummary('anchor ttfb (bare http + fs stream)', ttfb.anchor)}`);
    console.log(`${formatSummary('genonaut ttfb (/images, signed)', ttfb.ours)}`);
    console.log(`${formatSummary('anchor whole response', total.anchor)}  ${mibPerSecond('anchor').toFixed(0)} MiB/s`);
    console.log(`${formatSummary('genonaut whole response', total.ours)}  ${mibPerSecond('ours').toFixed(0)} MiB/s`);
    const cpuPerRequest = (side: 'anchor' | 'ours') => (results[side].cpuMs / results[side].samples.length).toFixed(2);
    console.log(`CPU per request, client and server together (one process): anchor ${cpuPerRequest('anchor')} ms, genonaut ${cpuPerRequest('ours')} ms`);
    const ttfbRatio = ttfb.ours.p50 / ttfb.anchor.p50;
    const throughputRatio = mibPerSecond('anchor') / mibPerSecond('ours');
    console.log(
      `ratio genonaut/anchor: ttfb p50 ${ttfbRatio.toFixed(2)}×, p95 ${(ttfb.ours.p95 / ttfb.anchor.p95).toFixed(2)}×, min ${(ttfb.ours.min / ttfb.anchor.min).toFixed(2)}× (the floor: our fixed cost); ` +
        `throughput ${throughputRatio.toFixed(2)}× slower (goal ≤ 1.2× both: ${ttfbRatio <= 1.2 && throughputRatio <= 1.2 ? 'met' : 'NOT met'})`,
    );
  }
  await admin.close();
  bare.close();
} finally {
  await orm.close();
  await pool.end();
  await db.drop();
  await rm(storageDir, { recursive: true, force: true });
}
process.exit(0);
