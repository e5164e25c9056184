import sharp from 'sharp';
import type { GenerationRow } from '#shared/db/repositories/generation-repository.ts';
import type { ImageLinks } from '#shared/images/image-links.ts';
import type { ImageStorage } from '#shared/storage/storage.ts';
import { messageLimits } from './limits.ts';
import { renderResult, type OutputLink, type RenderedFile, type RenderedMessage } from './result-message.ts';

export interface ResultFile {
  name: string;
  data: Buffer;
  contentType: string;
}

/** Stored outputs, in order: the ones a result can show and link. */
export function storedOutputIndexes(g: GenerationRow): number[] {
  return g.outputs.filter((o) => o.status === 'stored' && o.path).map((o) => o.index).sort((a, b) => a - b);
}

/**
 * The result message showing output `index` (the first stored one when absent or not stored), with
 * that image attached and signed links to every stored original. Used by the delivery and by ◀ ▶.
 * An image over Discord's upload cap is attached as a WebP preview; the content links its PNG.
 */
export async function renderResultPage(
  g: GenerationRow,
  deps: { storage: ImageStorage; links: ImageLinks },
  index?: number,
): Promise<{ message: RenderedMessage; files: ResultFile[] }> {
  const indexes = storedOutputIndexes(g);
  const links: OutputLink[] = await Promise.all(indexes.map(async (i) => ({ outputIndex: i, url: await deps.links.url(g.id, i) })));
  const shownIndex = index !== undefined && indexes.includes(index) ? index : indexes[0];
  const output = g.outputs.find((o) => o.index === shownIndex);
  if (shownIndex === undefined || !output?.path) return { message: renderResult(g, undefined, links), files: [] };
  let data = await deps.storage.get(output.path);
  let format: 'png' | 'webp' = 'png';
  // Leave room for the JSON part of the request under Discord's per-request cap.
  if (data.length > Math.min(messageLimits.fileBytes, messageLimits.requestBytes - 1024 * 1024)) {
    data = await sharp(data).webp({ quality: 85 }).toBuffer();
    format = 'webp';
  }
  const name = `${g.id.slice(0, 8)}_${shownIndex}.${format}`;
  const shown: RenderedFile = { name, outputIndex: shownIndex, format, url: links.find((l) => l.outputIndex === shownIndex)!.url };
  return { message: renderResult(g, shown, links), files: [{ name, data, contentType: `image/${format}` }] };
}
