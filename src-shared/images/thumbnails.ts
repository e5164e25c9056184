import sharp from 'sharp';
import { jpegFallbackSize, thumbnailSizes } from './thumbnail-sizes.ts';

export { jpegFallbackSize, thumbnailSizes };

export interface Thumbnail {
  size: number;
  format: 'webp' | 'jpeg';
  data: Buffer;
  width: number;
  height: number;
}

export interface ImageInfo {
  width: number;
  height: number;
  format: string;
}

/** Reads dimensions, failing on a corrupt or truncated file (sharp decodes it fully). */
export async function inspectImage(input: Buffer): Promise<ImageInfo> {
  const { info } = await sharp(input, { failOn: 'truncated' }).raw().toBuffer({ resolveWithObject: true });
  const meta = await sharp(input).metadata();
  return { width: info.width, height: info.height, format: meta.format ?? 'unknown' };
}

/** One decode, several encodes: WebP at each size (never enlarged) and a JPEG fallback. */
export async function makeThumbnails(input: Buffer): Promise<Thumbnail[]> {
  const source = sharp(input, { failOn: 'truncated' });
  const jobs = [
    ...thumbnailSizes.map((size) => ({ size, format: 'webp' as const })),
    { size: jpegFallbackSize, format: 'jpeg' as const },
  ];
  return Promise.all(
    jobs.map(async ({ size, format }) => {
      const resized = source.clone().resize(size, size, { fit: 'inside', withoutEnlargement: true });
      const encoded = format === 'webp' ? resized.webp({ quality: 80 }) : resized.jpeg({ quality: 82, mozjpeg: true });
      const { data, info } = await encoded.toBuffer({ resolveWithObject: true });
      return { size, format, data, width: info.width, height: info.height };
    }),
  );
}
