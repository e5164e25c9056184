import { createHash } from 'node:crypto';
import type { ComfyClient } from '#shared/comfyui/client.ts';
import type { GenerationRow } from '#shared/db/repositories/generation-repository.ts';
import type { ImageStorage } from '#shared/storage/storage.ts';

/** The stored starting picture; undefined when it is gone (erased, or the store lost it). */
export async function readInitImage(storage: ImageStorage, g: Pick<GenerationRow, 'initImageKey'>): Promise<Buffer | undefined> {
  if (!(await storage.stat(g.initImageKey!))) return undefined;
  return storage.get(g.initImageKey!);
}

/**
 * Puts a generation's starting picture on the instance it was placed on (`POST /upload/image`) and
 * answers the name its LoadImage takes. Named by content, so running it again (a retry, another
 * generation from the same picture) reuses the file ComfyUI already has.
 */
export async function uploadInitImage(client: ComfyClient, bytes: Buffer, signal?: AbortSignal): Promise<string> {
  const digest = createHash('sha256').update(bytes).digest('hex');
  return client.uploadImage(bytes, `genonaut-${digest.slice(0, 32)}.png`, signal);
}
