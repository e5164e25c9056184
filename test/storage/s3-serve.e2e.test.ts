import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { DeleteObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import type { MikroORM } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ConfigError, parseConfig } from '#shared/config.ts';
import { createOrm } from '#shared/db/orm.ts';
import { asDb } from '#shared/db/pool.ts';
import type { GenerationRow } from '#shared/db/repositories/generation-repository.ts';
import { ImageLinks } from '#shared/images/image-links.ts';
import { createStorage, openStorage, StorageUnavailableError } from '#shared/storage/create-storage.ts';
import { describeStartupError } from '#shared/startup-errors.ts';
import { serveApp, type ServedApp } from '../admin-api/harness.ts';
import { startS3Server, type S3TestServer } from '../support/s3-server.ts';
import { schedulerForFile } from '../support/scheduler-world.ts';

const bucket = 'genonaut-e2e';
let s3: S3TestServer;
// Registered before the scheduler's own beforeAll, so the bucket exists when it starts.
beforeAll(async () => {
  s3 = await startS3Server();
  await s3.createBucket(bucket);
  // The AWS SDK takes credentials from its usual chain: here, the environment.
  const env = s3.env(bucket);
  process.env.AWS_ACCESS_KEY_ID = env.AWS_ACCESS_KEY_ID;
  process.env.AWS_SECRET_ACCESS_KEY = env.AWS_SECRET_ACCESS_KEY;
});
const world = schedulerForFile({
  comfy: { models: { checkpoints: ['base.safetensors'], loras: [] }, secondsPerStep: 0.002 },
  env: () => ({ STORAGE_BACKEND: 's3', S3_BUCKET: bucket, S3_PREFIX: 'images/', S3_ENDPOINT: s3.endpoint, S3_REGION: 'us-east-1' }),
});

let orm: MikroORM;
let streaming: ServedApp;
let redirecting: ServedApp;
let row: GenerationRow;
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

beforeAll(async () => {
  orm = await createOrm(world.tdb.url);
  const config = parseConfig('admin-api', { ...world.h.env, ADMIN_TOKEN: 'x'.repeat(24) });
  const db = asDb(world.tdb.pool);
  const links = new ImageLinks({ db, ttlSeconds: 600, baseUrl: 'http://127.0.0.1:8787' });
  streaming = await serveApp({ tdb: world.tdb, orm, images: { storage: await createStorage(config), links, serve: 'stream' } });
  redirecting = await serveApp({ tdb: world.tdb, orm, images: { storage: await createStorage(config), links, serve: 'redirect' } });

  const { generation } = await world.h.enqueue({ width: 320, height: 256 });
  await world.h.waitFor(generation.id, ['succeeded'], { delivered: true });
  // Thumbnails are made by their own job after the result is delivered.
  const deadline = Date.now() + 20_000;
  while ((row = await world.h.repo.get(generation.id)).outputs[0]?.thumbnails?.length !== 4) {
    if (Date.now() > deadline) throw new Error(`no thumbnails for ${generation.id} after 20 s`);
    await delay(50);
  }
});
afterAll(async () => {
  await redirecting?.close();
  await streaming?.close();
  await orm?.close();
});
afterAll(async () => {
  await s3?.stop();
});

async function bucketKeys(): Promise<string[]> {
  const page = await s3.client.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (page.Contents ?? []).map((o) => o.Key!).sort();
}

const signed = (app: ServedApp, path: string, init: RequestInit = {}) =>
  new ImageLinks({ db: asDb(world.tdb.pool), ttlSeconds: 600, baseUrl: app.url }).url(row.id, 0).then((u) => (path ? u.replace(`/images/${row.id}/0`, path) : u)).then((u) => fetch(u, { redirect: 'manual', ...init }));

describe('generate → store → thumbnail → serve, with STORAGE_BACKEND=s3', () => {
  test('the original and its thumbnails are in the bucket under the prefix, with the usual key layout; nothing on the local disk', async () => {
    const output = row.outputs[0]!;
    const day = row.createdAt.toISOString().slice(0, 10).replaceAll('-', '/');
    const folder = `${row.userId}/${day}/${row.id}/`;
    expect(output.path).toBe(`${folder}0.png`);
    expect(await bucketKeys()).toEqual(
      [`${folder}0.png`, ...output.thumbnails!.map((t) => t.path)].map((k) => `images/${k}`).sort(),
    );
    expect(output.thumbnails!.map((t) => t.path).sort()).toEqual([`${folder}thumbs/0_1024.webp`, `${folder}thumbs/0_256.webp`, `${folder}thumbs/0_512.jpg`, `${folder}thumbs/0_512.webp`]);
    expect(await readdir(world.h.storageDir)).toEqual([]);
    // The recorded sha256 is the bucket's bytes'.
    const stored = await (await createStorage(parseConfig('scheduler', world.h.env))).get(output.path!);
    expect(sha256(stored)).toBe(output.sha256);
  });

  test('S3_SERVE=stream: bytes through the admin API, with the sha256 ETag, ranges, 304 and HEAD', async () => {
    const output = row.outputs[0]!;
    const full = await signed(streaming, '');
    expect(full.status).toBe(200);
    expect(full.headers.get('content-type')).toBe('image/png');
    expect(full.headers.get('etag')).toBe(`"${output.sha256}"`);
    expect(sha256(new Uint8Array(await full.arrayBuffer()))).toBe(output.sha256);

    const part = await signed(streaming, '', { headers: { range: 'bytes=8-23' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 8-23/${output.bytes}`);
    expect((await part.arrayBuffer()).byteLength).toBe(16);

    const multi = await signed(streaming, '', { headers: { range: 'bytes=0-3,-4' } });
    expect(multi.status).toBe(206);
    expect(multi.headers.get('content-type')).toMatch(/^multipart\/byteranges/);
    await multi.arrayBuffer();

    const again = await signed(streaming, '', { headers: { 'if-none-match': `"${output.sha256}"` } });
    expect(again.status).toBe(304);
    const head = await signed(streaming, '', { method: 'HEAD' });
    expect([head.status, head.headers.get('content-length')]).toEqual([200, String(output.bytes)]);

    const thumb = await signed(streaming, `/images/${row.id}/0/thumb/256.webp`);
    // A link signs its own path: a thumbnail needs its own link.
    expect(thumb.status).toBe(403);
    const thumbUrl = await new ImageLinks({ db: asDb(world.tdb.pool), ttlSeconds: 600, baseUrl: streaming.url }).url(row.id, 0, '256.webp');
    const t = await fetch(thumbUrl);
    expect([t.status, t.headers.get('content-type')]).toEqual([200, 'image/webp']);
    const recorded = output.thumbnails!.find((x) => x.size === 256 && x.format === 'webp')!;
    expect(sha256(new Uint8Array(await t.arrayBuffer()))).toBe(recorded.sha256);
  });

  test('S3_SERVE=redirect: a 302 to a short-lived presigned URL that answers the image, its ranges and its type', async () => {
    const output = row.outputs[0]!;
    const res = await signed(redirecting, '');
    expect(res.status).toBe(302);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const location = res.headers.get('location')!;
    expect(location.startsWith(`${s3.endpoint}/${bucket}/images/${output.path}?`)).toBe(true);
    expect(new URL(location).searchParams.get('X-Amz-Expires')).toBe('300');
    expect(redirecting.logText()).not.toContain(new URL(location).searchParams.get('X-Amz-Signature'));

    const direct = await fetch(location);
    expect([direct.status, direct.headers.get('content-type')]).toEqual([200, 'image/png']);
    expect(direct.headers.get('content-disposition')).toBe(`inline; filename="${row.id.slice(0, 8)}_0.png"`);
    expect(sha256(new Uint8Array(await direct.arrayBuffer()))).toBe(output.sha256);
    const ranged = await fetch(location, { headers: { range: 'bytes=0-7' } });
    expect(ranged.status).toBe(206);
    expect(Buffer.from(await ranged.arrayBuffer()).toString('latin1')).toBe('\x89PNG\r\n\x1a\n');

    // Followed as a browser does, the signed link ends at the image.
    const followed = await fetch(await new ImageLinks({ db: asDb(world.tdb.pool), ttlSeconds: 600, baseUrl: redirecting.url }).url(row.id, 0));
    expect(sha256(new Uint8Array(await followed.arrayBuffer()))).toBe(output.sha256);
    expect((await signed(redirecting, '', { headers: { 'if-none-match': `"${output.sha256}"` } })).status).toBe(304);
    // Access is still ours: no link, no redirect.
    expect((await fetch(`${redirecting.url}/images/${row.id}/0`, { redirect: 'manual' })).status).toBe(401);
  });

  test('an object gone from the bucket answers 404 in both modes, never a redirect to nothing', async () => {
    const { generation } = await world.h.enqueue({ width: 64, height: 64 });
    await world.h.waitFor(generation.id, ['succeeded'], { delivered: true });
    const gone = await world.h.repo.get(generation.id);
    await s3.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: `images/${gone.outputs[0]!.path}` }));
    for (const app of [streaming, redirecting]) {
      const res = await fetch(await new ImageLinks({ db: asDb(world.tdb.pool), ttlSeconds: 600, baseUrl: app.url }).url(gone.id, 0), { redirect: 'manual' });
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: { details: unknown } }).error.details).toEqual({ reason: 'missing_from_storage' });
    }
  });

  test('integrity on S3 is the size: an object replaced by one of another size is not served (logged, 404)', async () => {
    const { generation } = await world.h.enqueue({ width: 64, height: 64 });
    await world.h.waitFor(generation.id, ['succeeded'], { delivered: true });
    const changed = await world.h.repo.get(generation.id);
    await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: `images/${changed.outputs[0]!.path}`, Body: Buffer.from('not the image') }));
    for (const app of [streaming, redirecting]) {
      const res = await fetch(await new ImageLinks({ db: asDb(world.tdb.pool), ttlSeconds: 600, baseUrl: app.url }).url(changed.id, 0), { redirect: 'manual' });
      expect(res.status).toBe(404);
      expect(app.logs.some((l) => l.msg === 'stored image does not match what was recorded; not served' && l.problem === 'size')).toBe(true);
    }
  });

  test('/readyz reports the bucket reachable', async () => {
    const res = await fetch(`${streaming.url}/readyz`);
    expect(await res.json()).toEqual({ status: 'ready', checks: { database: 'ok', queue: 'ok', storage: 'ok' } });
  });
});

describe('S3 configuration', () => {
  test('STORAGE_BACKEND=s3 needs S3_BUCKET; the other keys are checked', () => {
    const env = { ...world.h.env, ADMIN_TOKEN: 'x'.repeat(24) };
    expect(() => parseConfig('admin-api', { ...env, S3_BUCKET: '' })).toThrow(new ConfigError(['S3_BUCKET: required when STORAGE_BACKEND=s3']));
    expect(() => parseConfig('bot', { ...env, STORAGE_BACKEND: 'ftp' })).toThrow(/STORAGE_BACKEND: expected local or s3/);
    expect(() => parseConfig('scheduler', { ...env, S3_PREFIX: '../up' })).toThrow(/S3_PREFIX/);
    expect(() => parseConfig('admin-api', { ...env, S3_SERVE: 'proxy' })).toThrow(/S3_SERVE: expected stream or redirect/);
    expect(parseConfig('admin-api', env).S3_SERVE).toBe('stream');
  });

  test('a missing bucket or an endpoint that does not answer stops start-up with one line, without the secret', async () => {
    const base = parseConfig('scheduler', world.h.env);
    const missing = await openStorage({ ...base, S3_BUCKET: 'no-such-bucket' }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(StorageUnavailableError);
    const line = describeStartupError(missing, {});
    expect(line).toBe(
      `S3 bucket "no-such-bucket" at ${s3.endpoint} is not usable (no such bucket): check STORAGE_BACKEND, S3_BUCKET, S3_ENDPOINT, S3_REGION and the AWS credentials (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or a profile)`,
    );
    const closed = await openStorage({ ...base, S3_ENDPOINT: 'http://127.0.0.1:9' }).catch((e: unknown) => e);
    expect(describeStartupError(closed, {})).toMatch(/^S3 bucket "genonaut-e2e" at http:\/\/127\.0\.0\.1:9 is not usable \(connection refused\): check/);
    const good = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'someone-else', AWS_SECRET_ACCESS_KEY: 'wrong-secret-value' });
    try {
      const refused = await openStorage(base).catch((e: unknown) => e);
      const refusedLine = describeStartupError(refused, {});
      expect(refusedLine).toMatch(/is not usable \(access denied: credentials refused or not allowed on this bucket\): check/);
      expect(refusedLine).not.toContain('wrong-secret-value');
    } finally {
      Object.assign(process.env, { AWS_ACCESS_KEY_ID: good.id, AWS_SECRET_ACCESS_KEY: good.secret });
    }
  });
});
