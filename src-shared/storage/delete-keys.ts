import type { ImageStorage } from './storage.ts';

const parallel = 16;

/** Deletes objects a few at a time (an object store answers each call over the network). */
export async function deleteKeys(storage: ImageStorage, keys: readonly string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += parallel) await Promise.all(keys.slice(i, i + parallel).map((k) => storage.delete(k)));
}
