// Thumbnails (DESIGN §9: ≤ 1.5× the anchor), side by side with the anchor:
// bare sharp on the same images, same sizes, same encoder settings, one pipeline per output.
//   node bench/thumbnails.ts            (BENCH_IMAGES=20, BENCH_ROUNDS=3, BENCH_IMAGE_SIZE=1024)
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { makeThumbnails } from '#shared/images/thumbnails.ts';
import { LocalStorage } from '#shared/storage/local-storage.ts';
import { thumbnailKey } from '#shared/storage/keys.ts';
import { syntheticImages } from './lib/synthetic-images.ts';
import { formatSummary, summarize } from './lib/stats.ts';

const imageCount = Number(process.env.BENCH_IMAGES ?? 20);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const imageSize = Number(process.env.BENCH_IMAGE_SIZE ?? 1024);

type Variant = (input: Buffer, index: number) => Promise<unknown>;

/** The plainest sharp code for the same four outputs: decode the input once per output. */
const anchor: Variant = (input) =>
  Promise.all([
    sharp(input).resize(256).webp({ quality: 80 }).toBuffer(),
    sharp(input).resize(512).webp({ quality: 80 }).toBuffer(),
    sharp(input).resize(1024).webp({ quality: 80 }).toBuffer(),
    sharp(input).resize(512).jpeg({ quality: 82, mozjpeg: true }).toBuffer(),
  ]);

const ours: Variant = (input) => makeThumbnails(input);

/** The image half of the thumbnail job: read the original from storage, make thumbnails, store each. */
function jobPath(storage: LocalStorage): Variant {
  return async (_input, index) => {
    const thumbs = await makeThumbnails(await storage.get(`originals/${index}.png`));
    for (const t of thumbs) await storage.put(thumbnailKey(`bench/${index}`, 0, t.size, t.format), t.data);
  };
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** Runs every image through `variant` with `concurrency` in flight; per-image ms and wall time. */
async function pass(variant: Variant, images: Buffer[], concurrency: number): Promise<{ samples: number[]; wallMs: number }> {
  const samples: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < images.length) {
        const i = next++;
        samples.push(await timed(() => variant(images[i]!, i)));
      }
    }),
  );
  return { samples, wallMs: performance.now() - t0 };
}

/** Alternates which variant goes first each round so both see the same machine state. */
async function compare(variants: Record<string, Variant>, images: Buffer[], concurrency: number) {
  const names = Object.keys(variants);
  const results = Object.fromEntries(names.map((n) => [n, { samples: [] as number[], wallMs: 0 }]));
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? names : [...names].reverse();
    for (const name of order) {
      const { samples, wallMs } = await pass(variants[name]!, images, concurrency);
      results[name]!.samples.push(...samples);
      results[name]!.wallMs += wallMs;
    }
  }
  return Object.fromEntries(
    names.map((n) => [n, { summary: summarize(results[n]!.samples), perSecond: (images.length * rounds) / (results[n]!.wallMs / 1000) }]),
  );
}

const setupStart = performance.now();
const images = await syntheticImages(imageCount, imageSize);
const storageDir = await mkdtemp(path.join(tmpdir(), 'gn-bench-thumbs-'));
const storage = new LocalStorage(storageDir);
for (const [i, image] of images.entries()) await storage.put(`originals/${i}.png`, image);
const setupMs = performance.now() - setupStart;
const avgKb = images.reduce((a, b) => a + b.length, 0) / images.length / 1024;

try {
  await pass(anchor, images.slice(0, 2), 1); // warm-up: libvips thread pools, mozjpeg tables
  await pass(ours, images.slice(0, 2), 1);
  console.log(`thumbnails: ${imageCount} × ${imageSize}² PNG (avg ${avgKb.toFixed(0)} KiB), ${rounds} rounds; outputs WebP 256/512/1024 + JPEG 512`);
  console.log(`setup (generate + store images) ${(setupMs / 1000).toFixed(1)} s; sharp concurrency ${sharp.concurrency()}, libuv pool ${process.env.UV_THREADPOOL_SIZE ?? 4}`);
  for (const concurrency of [1, 2]) {
    const r = await compare({ anchor, ours, job: jobPath(storage) }, images, concurrency);
    console.log(`\n${concurrency === 1 ? 'sequential' : `${concurrency} images in parallel`} (ms per image)`);
    console.log(`${formatSummary('anchor: bare sharp, 4 pipelines', r.anchor!.summary)}  ${r.anchor!.perSecond.toFixed(1)} img/s`);
    console.log(`${formatSummary('genonaut: makeThumbnails', r.ours!.summary)}  ${r.ours!.perSecond.toFixed(1)} img/s`);
    console.log(`${formatSummary('genonaut: job path (get + 4 puts)', r.job!.summary)}  ${r.job!.perSecond.toFixed(1)} img/s`);
    const ratio = (k: 'p50' | 'p95' | 'avg') => (r.ours!.summary[k] / r.anchor!.summary[k]).toFixed(2);
    console.log(`ratio makeThumbnails/anchor: p50 ${ratio('p50')}×, p95 ${ratio('p95')}×, avg ${ratio('avg')}×, throughput ${(r.anchor!.perSecond / r.ours!.perSecond).toFixed(2)}× (goal ≤ 1.5×)`);
    console.log(`ratio job path/anchor:       p50 ${(r.job!.summary.p50 / r.anchor!.summary.p50).toFixed(2)}× (context: storage writes)`);
  }
} finally {
  await rm(storageDir, { recursive: true, force: true });
}
process.exit(0);
