import { readdir, readFile, readlink, rm, truncate, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { imagePath } from '#shared/images/image-paths.ts';
import type { LocalStorage } from '#shared/storage/local-storage.ts';
import { adminToken, errorOf } from './harness.ts';
import { startImageWorld, type ImageWorld, type StoredGeneration } from './image-fixture.ts';

let w: ImageWorld;
let g: StoredGeneration;
let root: string;

beforeAll(async () => {
  w = await startImageWorld();
  g = await w.storedGeneration({ thumbnails: true });
  root = (w.ctx.storage as LocalStorage).root;
  // A file outside storage that a traversal would try to reach.
  await writeFile(path.join(root, '..', 'outside-secret.txt'), 'do not serve me');
});
afterAll(async () => {
  await w?.close();
});

const fileOf = (key: string) => path.join(root, ...key.split('/'));

/** Descriptors this process holds open on files under storage. */
async function openStorageFiles(): Promise<string[]> {
  const fds = await readdir('/proc/self/fd');
  const targets = await Promise.all(fds.map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')));
  return targets.filter((t) => t.startsWith(root));
}

describe('no spelling of a URL reaches a path outside storage', () => {
  test('traversal in every parameter, encoded or not, and absolute paths: always 4xx with the error shape, never a file', async () => {
    const id = g.row.id;
    const targets = [
      '/images/../../etc/passwd/0',
      '/images/%2e%2e/0',
      '/images/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd/0',
      '/images/..%2f..%2foutside-secret.txt/0',
      '/images/%2Fetc%2Fpasswd/0',
      '/images//etc/passwd/0',
      `/images/${id}/..`,
      `/images/${id}/%2e%2e`,
      `/images/${id}/..%2f..%2f..%2foutside-secret.txt`,
      `/images/${id}/%2Fetc%2Fpasswd`,
      `/images/${id}/0%2f..%2f..%2foutside-secret.txt`,
      `/images/${id}/-1`,
      `/images/${id}/01`,
      `/images/${id}/1000`,
      `/images/${id}/0x1`,
      `/images/${id}/1e2`,
      `/images/${id}/0/thumb/..`,
      `/images/${id}/0/thumb/%2e%2e%2f%2e%2e%2f0.png`,
      `/images/${id}/0/thumb/..%5c..%5c0.png`,
      `/images/${id}/0/thumb/%2Fetc%2Fpasswd`,
      `/images/${id}/0/thumb/256.webp%00.png`,
      `/images/${id}/0/thumb/256.webp/..`,
      `/images/${id}/0/thumb/../../0`,
      `/images/${id.toUpperCase()}/0`,
      `/images/${id}.png/0`,
      `/images/${id}%00/0`,
      `//images/${id}/0`,
      `/images/${id}/0/`,
      `/IMAGES/${id}/0`,
      `/Images/${id}/0`,
      `/images/${id}/0/THUMB/256.webp`,
      `/images/${id}/0/thumb/256.WEBP`,
    ];
    for (const target of targets) {
      // With the admin token, so nothing is refused for want of access: only the path decides.
      const res = await w.raw(target, { headers: { authorization: `Bearer ${adminToken}` } });
      expect(res.status, target).toBeGreaterThanOrEqual(400);
      expect(res.status, target).toBeLessThan(500);
      expect(res.headers['content-type'], target).toMatch(/^application\/json/);
      const body = JSON.parse(res.body.toString('utf8')) as { error: { code: string } };
      expect(['validation_failed', 'not_found'], target).toContain(body.error.code);
      expect(res.body.toString('latin1')).not.toMatch(/do not serve me|root:|\x89PNG|RIFF/);
    }
  });

  test('the key of the file served is the one the row names: the same image under its one spelling still works', async () => {
    const res = await w.raw(imagePath(g.row.id, 0), { headers: { authorization: `Bearer ${adminToken}` } });
    expect(res.status).toBe(200);
    expect(res.body.equals(g.originals[0]!)).toBe(true);
  });

  test('unknown generation, unknown index: 404 with the error shape', async () => {
    for (const target of [imagePath('00000000-0000-4000-8000-000000000000', 0), imagePath(g.row.id, 7)]) {
      const res = await w.api.request(target);
      expect(res.status, target).toBe(404);
      expect((await errorOf(res)).code).toBe('not_found');
    }
  });
});

describe('integrity and removed images', () => {
  test('each file is hashed once per version, then answered from the cache; a changed file is hashed again', async () => {
    const fresh = await w.storedGeneration();
    const before = w.integrity.filesHashed;
    const target = await w.signed(fresh.row.id, 0);
    for (let i = 0; i < 3; i++) expect((await w.api.request(target, { token: null })).status).toBe(200);
    await Promise.all(Array.from({ length: 5 }, () => w.api.request(target, { token: null, headers: { range: 'bytes=0-9' } })));
    expect(w.integrity.filesHashed - before).toBe(1);
    // Same bytes written again: a new inode and mtime, so a new version.
    const file = fileOf(fresh.row.outputs[0]!.path!);
    await writeFile(`${file}.new`, await readFile(file));
    await rm(file);
    await writeFile(file, await readFile(`${file}.new`));
    expect((await w.api.request(target, { token: null })).status).toBe(200);
    expect(w.integrity.filesHashed - before).toBe(2);
  });

  test("a generation's outputs are read from Postgres once, not per request; a cached answer with no such image is read again", async () => {
    const fresh = await w.storedGeneration();
    const before = w.outputsReads();
    const target = await w.signed(fresh.row.id, 0);
    for (let i = 0; i < 4; i++) expect((await w.api.request(target, { token: null })).status).toBe(200);
    expect(w.outputsReads() - before).toBe(1);
    // No thumbnails in the cached row: asked for one, the route reads the row again before saying 404.
    expect((await w.api.request(await w.signed(fresh.row.id, 0, '512.webp'), { token: null })).status).toBe(404);
    expect(w.outputsReads() - before).toBe(2);
    await w.makeThumbnails(fresh.row.id);
    expect((await w.api.request(await w.signed(fresh.row.id, 0, '512.webp'), { token: null })).status).toBe(200);
    expect(w.outputsReads() - before).toBe(3);
  });

  test('a file corrupted on disk (same size, other bytes) is not served: 404 "not available", logged, no 500', async () => {
    const victim = await w.storedGeneration();
    const target = await w.signed(victim.row.id, 0);
    expect((await w.api.request(target, { token: null })).status).toBe(200);
    const file = fileOf(victim.row.outputs[0]!.path!);
    const bytes = await readFile(file);
    const middle = bytes.length >> 1;
    bytes.writeUInt8(bytes.readUInt8(middle) ^ 0xff, middle);
    await rm(file);
    await writeFile(file, bytes);
    for (const headers of [{}, { range: 'bytes=0-9' }] as Record<string, string>[]) {
      const res = await w.api.request(target, { token: null, headers });
      expect(res.status).toBe(404);
      expect(await errorOf(res)).toEqual({ code: 'not_found', message: 'this image is not available', details: { reason: 'missing_from_storage' } });
    }
    const logged = w.api.logs.find((l) => l.msg === 'stored image does not match what was recorded; not served' && l.key === victim.row.outputs[0]!.path);
    expect(logged).toMatchObject({ level: 'error', problem: 'sha256', expected: victim.row.outputs[0]!.sha256 });
    expect(w.api.logs.filter((l) => l.level === 'error' && l.msg === 'admin api request failed')).toEqual([]);
  });

  test('a truncated thumbnail is not served either (its recorded size and sha256 no longer hold)', async () => {
    const victim = await w.storedGeneration({ thumbnails: true });
    const thumb = victim.row.outputs[0]!.thumbnails!.find((t) => t.size === 512 && t.format === 'jpeg')!;
    expect(thumb.sha256).toMatch(/^[0-9a-f]{64}$/);
    await truncate(fileOf(thumb.path), 10);
    const link = await w.signed(victim.row.id, 0, '512.jpg');
    for (let i = 0; i < 3; i++) {
      const res = await w.api.request(link, { token: null });
      expect(res.status).toBe(404);
      expect((await errorOf(res)).message).toBe('this image is not available');
    }
    // Logged as an error once per version of the file, not once per request.
    const errors = w.api.logs.filter((l) => l.level === 'error' && l.key === thumb.path);
    expect(errors).toEqual([expect.objectContaining({ problem: 'size', expected: thumb.bytes, actual: 10 })]);
  });

  test('a file missing from storage: 404 with the error shape, logged as a warning', async () => {
    const victim = await w.storedGeneration();
    await rm(fileOf(victim.row.outputs[0]!.path!));
    const res = await w.api.request(await w.signed(victim.row.id, 0), { token: null });
    expect(res.status).toBe(404);
    expect((await errorOf(res)).details).toEqual({ reason: 'missing_from_storage' });
    expect(w.api.logs.find((l) => l.msg === 'stored image is missing from storage' && l.key === victim.row.outputs[0]!.path)).toMatchObject({ level: 'warn' });
  });

  test('an image removed by retention answers 410 Gone, original and thumbnails alike, even right after it was served from a cached row', async () => {
    const old = await w.storedGeneration({ thumbnails: true, createdAt: new Date(Date.now() - 40 * 86_400_000) });
    const links = [await w.signed(old.row.id, 0), await w.signed(old.row.id, 0, '1024.webp')];
    for (const link of links) expect((await w.api.request(link, { token: null })).status).toBe(200);
    await w.expireOldOutputs();
    expect((await w.repo.get(old.row.id)).outputs[0]!.status).toBe('expired');
    for (const link of links) {
      const res = await w.api.request(link, { token: null });
      expect(res.status).toBe(410);
      expect(await errorOf(res)).toMatchObject({ code: 'gone', details: { reason: 'expired' } });
    }
  });
});

describe('streams, not buffers', () => {
  test('every file opened is closed: finished, HEAD, 304, ranges, and clients that hang up mid-body', async () => {
    const big = await w.storedGeneration({ size: 1024 });
    expect(big.originals[0]!.length).toBeGreaterThan(1024 * 1024);
    const target = await w.signed(big.row.id, 0);
    const etag = `"${big.row.outputs[0]!.sha256}"`;
    await w.api.request(target, { token: null });
    await w.api.request(target, { token: null, method: 'HEAD' });
    await w.api.request(target, { token: null, headers: { 'if-none-match': etag } });
    await w.api.request(target, { token: null, headers: { range: 'bytes=0-9,100-199' } });
    const { hostname, port } = new URL(w.api.url);
    // Read the first chunk of the body only, then hang up.
    const firstChunks = await Promise.all(
      Array.from({ length: 8 }, () =>
        new Promise<number>((resolve, reject) => {
          const req = httpRequest({ hostname, port, path: target }, (res) => {
            res.once('data', (chunk: Buffer) => {
              resolve(chunk.length);
              req.destroy();
            });
          });
          req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
          req.end();
        }),
      ),
    );
    expect(firstChunks.every((n) => n > 0 && n < big.originals[0]!.length)).toBe(true);
    await expect.poll(openStorageFiles, { timeout: 5_000 }).toEqual([]);
  });
});
