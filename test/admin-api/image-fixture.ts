import { request as httpRequest } from 'node:http';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { PgBoss } from 'pg-boss';
import sharp from 'sharp';
import { cleanupJob } from '#scheduler/jobs/cleanup.ts';
import { thumbnailJob } from '#scheduler/jobs/thumbnail.ts';
import type { GenerateContext } from '#scheduler/context.ts';
import { IntegrityCache } from '#admin/images/integrity.ts';
import { OutputsCache } from '#admin/images/outputs-cache.ts';
import { outputsLoader } from '#admin/routes/images.ts';
import { createOrm } from '#shared/db/orm.ts';
import { asDb } from '#shared/db/pool.ts';
import { GenerationRepository, type GenerationRow } from '#shared/db/repositories/generation-repository.ts';
import { ImageLinks } from '#shared/images/image-links.ts';
import type { ThumbnailName } from '#shared/images/image-paths.ts';
import { startBoss } from '#shared/queue/boss.ts';
import { generationPrefix, originalKey } from '#shared/storage/keys.ts';
import { startDiscordSim, type DiscordSim } from '#sim/discord/index.ts';
import { createSchedulerContext, jobHelpers } from '../support/scheduler-context.ts';
import { newGeneration } from '../support/scheduler-harness.ts';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.ts';
import { serveApp, type ServedApp } from './harness.ts';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface StoredGeneration {
  row: GenerationRow;
  originals: Buffer[];
}

/**
 * The admin API serving the images a real scheduler context stored: real Postgres, real files,
 * real sharp thumbnails (the thumbnail job itself) and retention (the cleanup job itself).
 */
export interface ImageWorld {
  tdb: TestDatabase;
  ctx: GenerateContext;
  api: ServedApp;
  links: ImageLinks;
  integrity: IntegrityCache;
  /** How many times the route read a generation's outputs from Postgres. */
  outputsReads(): number;
  repo: GenerationRepository;
  storedGeneration(opts?: { outputs?: number; size?: number; thumbnails?: boolean; createdAt?: Date }): Promise<StoredGeneration>;
  makeThumbnails(id: string): Promise<GenerationRow>;
  expireOldOutputs(): Promise<void>;
  /** Path and query of a signed link (what a client sends to the admin API). */
  signed(id: string, index: number, thumbnail?: ThumbnailName, links?: ImageLinks): Promise<string>;
  /** Sends exactly this request target, with no URL normalisation (fetch would resolve `..`). */
  raw(target: string, opts?: { method?: string; headers?: Record<string, string> }): Promise<RawResponse>;
  close(): Promise<void>;
}

/** A noisy image: it compresses badly, so even small sizes give files worth taking ranges of. */
export function noisyPng(size: number, seed: number): Promise<Buffer> {
  return sharp({ create: { width: size, height: size, channels: 3, background: { r: seed % 256, g: 90, b: 160 }, noise: { type: 'gaussian', mean: 128, sigma: 40 } } })
    .png()
    .toBuffer();
}

export async function startImageWorld(): Promise<ImageWorld> {
  const tdb = await createTestDatabase();
  const boss: PgBoss = await startBoss(tdb.url, { supervise: false });
  const discord: DiscordSim = await startDiscordSim();
  const orm: MikroORM = await createOrm(tdb.url);
  const ctx = await createSchedulerContext({ tdb, boss, discord, env: { RETENTION_DAYS: '30' } });
  const db = asDb(tdb.pool);
  const links = new ImageLinks({ db, ttlSeconds: 3600, baseUrl: 'http://images.test' });
  const integrity = new IntegrityCache();
  let reads = 0;
  const load = outputsLoader(db);
  const outputs = new OutputsCache((id) => {
    reads++;
    return load(id);
  });
  const api = await serveApp({ tdb, orm, images: { storage: ctx.storage, links, integrity, outputs } });
  const repo = new GenerationRepository(db);
  let seed = 0;

  async function makeThumbnails(id: string) {
    await thumbnailJob.handle(ctx, { generationId: id }, jobHelpers());
    return repo.get(id);
  }

  return {
    tdb, ctx, api, links, integrity, repo, makeThumbnails,
    outputsReads: () => reads,
    async storedGeneration({ outputs = 1, size = 96, thumbnails = false, createdAt } = {}) {
      const g = await repo.create(newGeneration(discord, { batchSize: outputs, width: size, height: size }));
      if (createdAt) await tdb.pool.query('update generation set created_at = $2 where id = $1', [g.id, createdAt]);
      const created = await repo.get(g.id);
      const prefix = generationPrefix(created.userId, created.createdAt, created.id);
      const originals: Buffer[] = [];
      const stored = [];
      for (let index = 0; index < outputs; index++) {
        const png = await noisyPng(size, seed++);
        const put = await ctx.storage.put(originalKey(prefix, index), png);
        originals.push(png);
        stored.push({ index, status: 'stored' as const, path: put.key, bytes: put.bytes, sha256: put.sha256, width: size, height: size });
      }
      await repo.transition(g.id, 'running');
      await repo.transition(g.id, 'succeeded', { outputs: stored });
      return { row: thumbnails ? await makeThumbnails(g.id) : await repo.get(g.id), originals };
    },
    async expireOldOutputs() {
      await cleanupJob.handle(ctx, {}, jobHelpers());
    },
    async signed(id, index, thumbnail, using = links) {
      const url = new URL(await using.url(id, index, thumbnail));
      return `${url.pathname}${url.search}`;
    },
    raw(target, { method = 'GET', headers = {} } = {}) {
      const { hostname, port } = new URL(api.url);
      return new Promise((resolve, reject) => {
        const req = httpRequest({ hostname, port, path: target, method, headers }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end();
      });
    },
    async close() {
      await api.close();
      await orm.close();
      await boss.stop({ graceful: false });
      await discord.close();
      await tdb.drop();
    },
  };
}
