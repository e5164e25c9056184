import type { GenerationRow } from '#shared/db/repositories/generation-repository.ts';
import type { ImageLinks } from '#shared/images/image-links.ts';
import type { ImageStorage } from '#shared/storage/storage.ts';
import { uploadCap } from '#shared/discord/upload-cap.ts';
import { fitUpload } from './fit-upload.ts';
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
 * An image over the upload cap (`uploadCapBytes`, from the interaction's `attachment_size_limit`) is
 * attached as a WebP, smaller if need be, or not at all; the content then links its full PNG.
 */
export async function renderResultPage(
  g: GenerationRow,
  deps: { storage: ImageStorage; links: ImageLinks },
  index?: number,
  uploadCapBytes: number = uploadCap(null),
): Promise<{ message: RenderedMessage; files: ResultFile[] }> {
  const indexes = storedOutputIndexes(g);
  const links: OutputLink[] = await Promise.all(indexes.map(async (i) => ({ outputIndex: i, url: await deps.links.url(g.id, i) })));
  const shownIndex = index !== undefined && indexes.includes(index) ? index : indexes[0];
  const output = g.outputs.find((o) => o.index === shownIndex);
  if (shownIndex === undefined || !output?.path) return { message: renderResult(g, undefined, links), files: [] };
  const fitted = await fitUpload(await deps.storage.get(output.path), uploadCapBytes);
  const url = links.find((l) => l.outputIndex === shownIndex)!.url;
  if (!fitted) return { message: renderResult(g, { name: null, outputIndex: shownIndex, format: 'png', url }, links), files: [] };
  const name = `${g.id.slice(0, 8)}_${shownIndex}.${fitted.format}`;
  const shown: RenderedFile = { name, outputIndex: shownIndex, format: fitted.format, url };
  return { message: renderResult(g, shown, links), files: [{ name, data: fitted.data, contentType: `image/${fitted.format}` }] };
}
