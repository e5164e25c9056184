import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStorage } from '#shared/storage/local-storage.ts';
import { RecentWrites } from '#shared/storage/recent-writes.ts';
import { S3Storage } from '#shared/storage/s3-storage.ts';
import type { ImageStorage } from '#shared/storage/storage.ts';
import { startS3Server, type S3TestServer } from '../support/s3-server.ts';

/** One backend under test: the storage, and the folder where its bytes land while they are written. */
interface Backend {
  storage: ImageStorage;
  landingDir: string;
  close(): Promise<void>;
}

let s3: S3TestServer;
beforeAll(async () => {
  s3 = await startS3Server();
});
afterAll(async () => {
  await s3?.stop();
});

const backends: [string, () => Promise<Backend>][] = [
  [
    'local',
    async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'gn-contract-'));
      return { storage: new LocalStorage(dir), landingDir: dir, close: () => rm(dir, { recursive: true, force: true }) };
    },
  ],
  [
    // The scheduler's storage: its recent writes answered from memory (RecentWrites) over a folder.
    'recent writes over local',
    async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'gn-contract-'));
      return { storage: new RecentWrites(new LocalStorage(dir)), landingDir: dir, close: () => rm(dir, { recursive: true, force: true }) };
    },
  ],
  [
    's3',
    async () => {
      const bucket = await s3.createBucket(`contract-${randomBytes(4).toString('hex')}`);
      return { storage: new S3Storage({ client: s3.client, bucket, prefix: 'genonaut/' }), landingDir: s3.dataDir, close: async () => {} };
    },
  ],
];

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const user = '123456789012345678';
const genA = `${user}/2026/11/30/0f0e0d0c-0b0a-4909-8807-060504030201`;
const genB = `${user}/2026/11/29/1f0e0d0c-0b0a-4909-8807-060504030201`;

async function collect(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of chunks) parts.push(c);
  return Buffer.concat(parts);
}

async function listAll(storage: ImageStorage, prefix: string) {
  const all = [];
  for await (const o of storage.list(prefix)) all.push(o);
  return all;
}

async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => [])) {
    if (e.isFile()) total += (await stat(path.join(e.parentPath, e.name)).catch(() => ({ size: 0 }))).size;
  }
  return total;
}

describe.each(backends)('ImageStorage contract: %s', (_name, make) => {
  let b: Backend;
  beforeAll(async () => {
    b = await make();
  });
  afterAll(async () => {
    await b?.close();
  });

  it('put records size and sha256; get, stat and open read the same bytes', async () => {
    const body = randomBytes(200_000);
    const stored = await b.storage.put(`${genA}/0.png`, body);
    expect(stored).toEqual({ key: `${genA}/0.png`, bytes: body.length, sha256: sha(body) });
    expect((await b.storage.get(`${genA}/0.png`)).equals(body)).toBe(true);
    const info = await b.storage.stat(`${genA}/0.png`);
    expect(info?.bytes).toBe(body.length);
    expect(Math.abs(info!.modifiedAt.getTime() - Date.now())).toBeLessThan(60_000);

    const opened = (await b.storage.open(`${genA}/0.png`))!;
    try {
      expect(opened.bytes).toBe(body.length);
      expect(opened.version).toMatch(/\S/);
      expect((await collect(opened.chunks(0, body.length - 1))).equals(body)).toBe(true);
      expect((await collect(opened.chunks(3, 7))).equals(body.subarray(3, 8))).toBe(true);
      expect((await collect(opened.chunks(60_000, 140_000))).equals(body.subarray(60_000, 140_001))).toBe(true);
      expect((await collect(opened.chunks(body.length - 1, body.length - 1))).equals(body.subarray(-1))).toBe(true);
      await expect(collect(opened.chunks(body.length - 10, body.length + 10))).rejects.toThrow();
    } finally {
      await opened.close();
      await opened.close();
    }
  });

  it('a stream body is stored the same as a buffer', async () => {
    const parts = [randomBytes(1000), randomBytes(70_000), randomBytes(3)];
    const stored = await b.storage.put(`${genA}/thumbs/0_256.webp`, Readable.from(parts));
    const all = Buffer.concat(parts);
    expect(stored).toEqual({ key: `${genA}/thumbs/0_256.webp`, bytes: all.length, sha256: sha(all) });
    expect((await b.storage.get(`${genA}/thumbs/0_256.webp`)).equals(all)).toBe(true);
  });

  it('a missing object: open and stat say undefined, get fails, delete is a no-op', async () => {
    expect(await b.storage.open(`${genB}/9.png`)).toBeUndefined();
    expect(await b.storage.stat(`${genB}/9.png`)).toBeUndefined();
    await expect(b.storage.get(`${genB}/9.png`)).rejects.toThrow();
    await b.storage.delete(`${genB}/9.png`);
  });

  it('replacing an object gives it a new version; delete removes it', async () => {
    const key = `${genB}/1.png`;
    await b.storage.put(key, Buffer.from('first version'));
    const first = (await b.storage.open(key))!;
    await first.close();
    await b.storage.put(key, Buffer.from('second, longer version'));
    const second = (await b.storage.open(key))!;
    await second.close();
    expect(second.version).not.toBe(first.version);
    expect(String(await b.storage.get(key))).toBe('second, longer version');
    await b.storage.delete(key);
    expect(await b.storage.stat(key)).toBeUndefined();
  });

  it('lists by folder prefix, with keys as they were put', async () => {
    await b.storage.put(`${genB}/0.png`, Buffer.from('b0'));
    await b.storage.put(`${genB}/thumbs/0_512.jpg`, Buffer.from('b0 thumb'));
    const keys = async (prefix: string) => (await listAll(b.storage, prefix)).map((o) => o.key).sort();
    expect(await keys(`${genB}/`)).toEqual([`${genB}/0.png`, `${genB}/thumbs/0_512.jpg`]);
    expect(await keys(genB)).toEqual([`${genB}/0.png`, `${genB}/thumbs/0_512.jpg`]);
    expect(await keys(`${user}/2026/11`)).toEqual([`${genB}/0.png`, `${genB}/thumbs/0_512.jpg`, `${genA}/0.png`, `${genA}/thumbs/0_256.webp`].sort());
    expect(await keys('')).toEqual(await keys(user));
    expect(await keys(`${user}/2026/1`)).toEqual([]);
    expect(await keys('999/2026')).toEqual([]);
    const one = (await listAll(b.storage, `${genB}/thumbs`))[0]!;
    expect(one.bytes).toBe(8);
  });

  it('refuses keys outside the layout', async () => {
    for (const key of ['../escape.png', 'a//b.png', '/abs.png', 'a/./b.png', 'a\\b.png', '']) {
      await expect(b.storage.put(key, Buffer.from('x'))).rejects.toThrow(/invalid key/);
      await expect(b.storage.open(key)).rejects.toThrow(/invalid key/);
    }
  });

  it('a body that fails half-way stores nothing', async () => {
    async function* broken() {
      yield randomBytes(100_000);
      throw new Error('source broke');
    }
    await expect(b.storage.put(`${genB}/2.png`, Readable.from(broken()))).rejects.toThrow('source broke');
    expect(await b.storage.stat(`${genB}/2.png`)).toBeUndefined();
  });

  it('streams a multi-MB upload: bytes land before the body has ended', async () => {
    const chunk = randomBytes(64 * 1024);
    const total = 24 * 1024 * 1024;
    const before = await dirBytes(b.landingDir);
    let landedWhileOpen = 0;
    async function* body() {
      for (let sent = 0; sent < total; sent += chunk.length) {
        if (sent === 16 * 1024 * 1024) {
          // Hold the rest back until the store shows it received part of what was sent already.
          const deadline = Date.now() + 10_000;
          while ((landedWhileOpen = (await dirBytes(b.landingDir)) - before) < 5 * 1024 * 1024 && Date.now() < deadline) await delay(50);
        }
        yield chunk;
      }
    }
    const stored = await b.storage.put(`${genA}/1.png`, Readable.from(body()));
    expect(landedWhileOpen).toBeGreaterThanOrEqual(5 * 1024 * 1024);
    const expected = createHash('sha256');
    for (let i = 0; i < total / chunk.length; i++) expected.update(chunk);
    expect(stored).toEqual({ key: `${genA}/1.png`, bytes: total, sha256: expected.digest('hex') });
    const opened = (await b.storage.open(`${genA}/1.png`))!;
    try {
      const read = createHash('sha256');
      for await (const c of opened.chunks(0, total - 1)) read.update(c);
      expect(read.digest('hex')).toBe(stored.sha256);
    } finally {
      await opened.close();
    }
  });
});

describe('S3Storage only', () => {
  it('a put the store refuses rejects and ends the source stream instead of leaving it paused', async () => {
    const storage = new S3Storage({ client: s3.client, bucket: 'no-such-bucket-here' });
    let produced = 0;
    const source = Readable.from(
      (async function* () {
        for (;;) {
          produced++;
          yield randomBytes(64 * 1024);
        }
      })(),
    );
    await expect(storage.put(`${genA}/5.png`, source)).rejects.toThrow();
    expect(source.destroyed).toBe(true);
    expect(produced).toBeLessThan(1000);
  });

  it('keys live below the prefix in the bucket', async () => {
    const bucket = await s3.createBucket(`prefix-${randomBytes(4).toString('hex')}`);
    const storage = new S3Storage({ client: s3.client, bucket, prefix: 'a/b' });
    await storage.put(`${genA}/0.png`, Buffer.from('x'));
    const outside = new S3Storage({ client: s3.client, bucket });
    expect((await listAll(outside, '')).map((o) => o.key)).toEqual([`a/b/${genA}/0.png`]);
    expect((await listAll(storage, '')).map((o) => o.key)).toEqual([`${genA}/0.png`]);
    expect(() => new S3Storage({ client: s3.client, bucket, prefix: '../up' })).toThrow(/invalid key/);
  });
});
