import { buffer } from 'node:stream/consumers';
import sharp from 'sharp';
import type { ImageRef } from '#shared/comfyui/api-types.ts';
import type { ComfyClient } from '#shared/comfyui/client.ts';
import type { GenerationOutput } from '#shared/db/entities/generation.ts';
import type { GenerationRow } from '#shared/db/repositories/generation-repository.ts';
import { AppError, ErrorCode } from '#shared/errors.ts';
import { generationPrefix, originalKey } from '#shared/storage/keys.ts';
import type { GenerateContext, JobHelpers } from '../context.ts';

/**
 * Copies each saved image from ComfyUI into storage, with sha256, size and dimensions. An image is
 * read whole before it is written, so a failed write is storage's fault (AppError
 * StorageUnavailable, whatever the backend) and a failed read ComfyUI's.
 */
export async function storeOutputs(
  ctx: GenerateContext,
  g: GenerationRow,
  client: ComfyClient,
  refs: ImageRef[],
  helpers: JobHelpers,
): Promise<GenerationOutput[]> {
  const prefix = generationPrefix(g.userId, g.createdAt, g.id);
  const images = refs.filter((r) => (r.type ?? 'output') === 'output');
  const outputs: GenerationOutput[] = [];
  for (const [index, ref] of images.entries()) {
    const stream = await client.openOutput(ref, helpers.signal);
    if (index === 0) await ctx.__test__?.checkpoint?.('mid-download', g.id);
    const bytes = await buffer(stream);
    let stored;
    try {
      stored = await ctx.storage.put(originalKey(prefix, index), bytes);
    } catch (err) {
      throw new AppError(ErrorCode.StorageUnavailable, `writing to image storage failed: ${(err as Error).message}`, { cause: err });
    }
    try {
      const meta = await sharp(bytes).metadata();
      outputs.push({ index, status: 'stored', path: stored.key, bytes: stored.bytes, sha256: stored.sha256, width: meta.width, height: meta.height });
    } catch (err) {
      outputs.push({ index, status: 'failed', path: stored.key, bytes: stored.bytes, sha256: stored.sha256, error: `image could not be read: ${(err as Error).message}` });
    }
  }
  return outputs;
}
