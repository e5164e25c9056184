import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makeThumbnails } from '#shared/images/thumbnails.ts';
import { assertSafeKey, generationPrefix, originalKey, thumbnailKey } from '#shared/storage/keys.ts';
import { LocalStorage } from '#shared/storage/local-storage.ts';

let dir: string;
let storage: LocalStorage;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'gn-storage-'));
  storage = new LocalStorage(dir);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const png = (w: number, h: number) =>
  sharp({ create: { width: w, height: h, channels: 3, background: { r: 200, g: 80, b: 30 } } }).png().toBuffer();

describe('storage keys', () => {
  test('originals by user and date, from ids only', () => {
    const id = randomUUID();
    const prefix = generationPrefix('123456789012345678', new Date('2026-11-24T13:00:00Z'), id);
    expect(prefix).toBe(`123456789012345678/2026/11/24/${id}/`);
    expect(originalKey(prefix, 0)).toBe(`${prefix}0.png`);
    expect(thumbnailKey(prefix, 1, 256, 'webp')).toBe(`${prefix}thumbs/1_256.webp`);
  });
  test('user text or traversal never becomes a path', () => {
    expect(() => generationPrefix('../etc', new Date(), randomUUID())).toThrow(/userId/);
    expect(() => generationPrefix('1', new Date(), 'a/../../b')).toThrow(/generationId/);
    expect(() => assertSafeKey('a/../b.png')).toThrow();
    expect(() => assertSafeKey('/abs.png')).toThrow();
  });
});

describe('LocalStorage', () => {
  test('put (stream or buffer) records size and sha256; get, stat, list, delete', async () => {
    const data = Buffer.from('hello image');
    const a = await storage.put('1/2026/01/01/x/0.png', data);
    expect(a).toEqual({ key: '1/2026/01/01/x/0.png', bytes: data.length, sha256: createHash('sha256').update(data).digest('hex') });
    const b = await storage.put('1/2026/01/01/x/1.png', Readable.from([Buffer.from('hello '), Buffer.from('image')]));
    expect(b.sha256).toBe(a.sha256);
    expect((await storage.get('1/2026/01/01/x/1.png')).toString()).toBe('hello image');
    expect((await storage.stat('1/2026/01/01/x/0.png'))?.bytes).toBe(data.length);
    const keys = [];
    for await (const o of storage.list('1/')) keys.push(o.key);
    expect(keys.sort()).toEqual(['1/2026/01/01/x/0.png', '1/2026/01/01/x/1.png']);
    await storage.delete('1/2026/01/01/x/0.png');
    expect(await storage.stat('1/2026/01/01/x/0.png')).toBeUndefined();
  });
  test('a folder removed meanwhile (erasure, retention) is made again by the next put, buffer or stream', async () => {
    await storage.put('2/2026/01/01/y/0.png', Buffer.from('first'));
    await rm(path.join(dir, '2'), { recursive: true });
    await storage.put('2/2026/01/01/y/0.png', Buffer.from('again'));
    await rm(path.join(dir, '2'), { recursive: true });
    await storage.put('2/2026/01/01/y/thumbs/0_256.webp', Readable.from([Buffer.from('stream')]));
    const keys = [];
    for await (const o of storage.list('2/')) keys.push(o.key);
    expect(keys).toEqual(['2/2026/01/01/y/thumbs/0_256.webp']);
    expect((await readdir(path.join(dir, '2/2026/01/01/y'), { recursive: true })).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
  test('writes into one new folder at the same moment all land (the folder made once for all of them), and again after it is removed', async () => {
    const keys = [256, 512, 1024].map((size) => `3/2026/01/01/z/thumbs/0_${size}.webp`);
    const putAll = () => Promise.all(keys.map((k, i) => (i % 2 ? storage.put(k, Readable.from([Buffer.from(k)])) : storage.put(k, Buffer.from(k)))));
    await putAll();
    for (const k of keys) expect((await storage.get(k)).toString()).toBe(k);
    await rm(path.join(dir, '3'), { recursive: true });
    await putAll();
    expect((await readdir(path.join(dir, '3/2026/01/01/z/thumbs'))).toSorted()).toEqual(['0_1024.webp', '0_256.webp', '0_512.webp']);
  });
});

describe('thumbnails', () => {
  test('WebP at 256/512/1024 (never enlarged) and a JPEG fallback, aspect kept', async () => {
    const thumbs = await makeThumbnails(await png(1024, 768));
    expect(thumbs.map((t) => `${t.format}:${t.width}x${t.height}`)).toEqual(['webp:256x192', 'webp:512x384', 'webp:1024x768', 'jpeg:512x384']);
    for (const t of thumbs) expect((await sharp(t.data).metadata()).format).toBe(t.format);
    const small = await makeThumbnails(await png(300, 300));
    expect(small.find((t) => t.size === 1024)?.width).toBe(300);
    // Sizes at or above the longest side leave the image as it is: encoded once, the same bytes.
    expect(small.find((t) => t.size === 1024)?.data).toBe(small.find((t) => t.size === 512)?.data);
    expect(small.find((t) => t.size === 256)?.width).toBe(256);
  });
  test('a truncated image is refused with a reason', async () => {
    const full = await png(512, 512);
    await expect(makeThumbnails(full.subarray(0, full.length / 2))).rejects.toThrow();
  });
});
