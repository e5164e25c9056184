import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { LocalStorage } from '#shared/storage/local-storage.ts';
import { RecentWrites } from '#shared/storage/recent-writes.ts';
import { isThumbnailKey, thumbnailKey } from '#shared/storage/keys.ts';

let dir: string;
let disk: LocalStorage;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'gn-recent-'));
  disk = new LocalStorage(dir);
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const key = (n: number) => `123456789012345678/2026/11/30/0f0e0d0c-0b0a-4909-8807-06050403020${n}/0.png`;
// Removed behind the wrapper's back: only an answer from memory still has the bytes.
const answeredFromMemory = async (storage: RecentWrites, k: string) => {
  await disk.delete(k);
  return storage.get(k).then((b) => b.toString(), () => undefined);
};

test('a write from a Buffer is read back from memory, and written through to the storage behind', async () => {
  const storage = new RecentWrites(disk);
  await storage.put(key(1), Buffer.from('one'));
  expect((await disk.get(key(1))).toString()).toBe('one');
  expect(await answeredFromMemory(storage, key(1))).toBe('one');
});

test('bounded by bytes: the oldest writes are forgotten first', async () => {
  const storage = new RecentWrites(disk, { maxBytes: 10, maxAgeMs: 60_000 });
  await storage.put(key(1), Buffer.from('aaaa'));
  await storage.put(key(2), Buffer.from('bbbb'));
  await storage.put(key(3), Buffer.from('cccc'));
  expect(storage.heldBytes).toBe(8);
  expect(await answeredFromMemory(storage, key(1))).toBeUndefined();
  expect(await answeredFromMemory(storage, key(3))).toBe('cccc');
  // Larger than the bound: written, never held.
  await storage.put(key(4), Buffer.alloc(11));
  expect(storage.heldBytes).toBe(8);
});

test('bounded by age: an old write is read from the storage behind', async () => {
  const storage = new RecentWrites(disk, { maxBytes: 1024, maxAgeMs: 50 });
  await storage.put(key(1), Buffer.from('one'));
  await new Promise((r) => setTimeout(r, 80));
  expect(await answeredFromMemory(storage, key(1))).toBeUndefined();
});

test('a delete, or a write of the same key from a stream, forgets the bytes held', async () => {
  const storage = new RecentWrites(disk);
  await storage.put(key(1), Buffer.from('one'));
  await storage.delete(key(1));
  await expect(storage.get(key(1))).rejects.toThrow();
  expect(storage.heldBytes).toBe(0);

  await storage.put(key(2), Buffer.from('two'));
  await storage.put(key(2), Readable.from([Buffer.from('streamed')]));
  expect(storage.heldBytes).toBe(0);
  expect((await storage.get(key(2))).toString()).toBe('streamed');
});

test('left alone, it lets go of what it holds once that is older than its age bound', async () => {
  const storage = new RecentWrites(disk, { maxBytes: 1024, maxAgeMs: 50 });
  await storage.put(key(1), Buffer.from('one'));
  await storage.put(key(2), Buffer.from('two'));
  expect(storage.heldBytes).toBe(6);
  // No call at all meanwhile: a timer of its own drops them.
  await new Promise((r) => setTimeout(r, 150));
  expect(storage.heldBytes).toBe(0);
});

test('keys not worth keeping (the scheduler: thumbnails, never read back there) are only written through', async () => {
  const storage = new RecentWrites(disk, { maxBytes: 1024, maxAgeMs: 60_000 }, (k) => !isThumbnailKey(k));
  const thumb = thumbnailKey('123456789012345678/2026/11/30/0f0e0d0c-0b0a-4909-8807-060504030201/', 0, 256, 'webp');
  await storage.put(thumb, Buffer.from('thumb'));
  await storage.put(key(1), Buffer.from('original'));
  expect(storage.heldBytes).toBe('original'.length);
  expect((await disk.get(thumb)).toString()).toBe('thumb');
});
