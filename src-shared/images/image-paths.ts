import { jpegFallbackSize, thumbnailSizes } from './thumbnail-sizes.ts';

/** The thumbnails a URL can name: `<size>.webp` for each size and `<size>.jpg` for the JPEG fallback. */
export const thumbnailNames = [...thumbnailSizes.map((s) => `${s}.webp` as const), `${jpegFallbackSize}.jpg` as const];
export type ThumbnailName = (typeof thumbnailNames)[number];

export function parseThumbnailName(name: ThumbnailName): { size: number; format: 'webp' | 'jpeg' } {
  const [size, ext] = name.split('.') as [string, string];
  return { size: Number(size), format: ext === 'jpg' ? 'jpeg' : 'webp' };
}

/**
 * The path of one output image under the public base URL: `/images/<generation id>/<index>` for the
 * original, `/images/<generation id>/<index>/thumb/<size>.<ext>` for a thumbnail. Ids are lowercase
 * uuids and indexes plain integers, so each image has exactly one spelling (the one that is signed).
 */
export function imagePath(generationId: string, index: number, thumbnail?: ThumbnailName): string {
  const base = `/images/${generationId.toLowerCase()}/${index}`;
  return thumbnail ? `${base}/thumb/${thumbnail}` : base;
}
