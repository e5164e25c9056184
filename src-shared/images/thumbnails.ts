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

type Format = Thumbnail['format'];
type Encoded = Pick<Thumbnail, 'data' | 'width' | 'height'>;

/**
 * One decode, several encodes: WebP at each size (never enlarged) and a JPEG fallback. The image is
 * decoded once (a corrupt or truncated file fails here) and every size is made from its pixels. A
 * size at or above the image's longest side leaves it as it is, so those sizes of one format are
 * encoded once and share the bytes (a 512² image: WebP 512 and 1024 are the same file).
 */
export async function makeThumbnails(input: Buffer): Promise<Thumbnail[]> {
  const { data: pixels, info } = await sharp(input, { failOn: 'truncated' }).raw().toBuffer({ resolveWithObject: true });
  const raw = { width: info.width, height: info.height, channels: info.channels };
  const longest = Math.max(info.width, info.height);
  const made = new Map<string, Promise<Encoded>>();
  const encode = (size: number, format: Format): Promise<Encoded> => {
    const key = `${format}:${Math.min(size, longest)}`;
    let encoded = made.get(key);
    if (!encoded) {
      const resized = sharp(pixels, { raw }).resize(size, size, { fit: 'inside', withoutEnlargement: true });
      const pipeline = format === 'webp' ? resized.webp({ quality: 80 }) : resized.jpeg({ quality: 82, mozjpeg: true });
      encoded = pipeline.toBuffer({ resolveWithObject: true }).then(({ data, info: out }) => ({ data, width: out.width, height: out.height }));
      made.set(key, encoded);
    }
    return encoded;
  };
  const jobs = [
    ...thumbnailSizes.map((size) => ({ size, format: 'webp' as const })),
    { size: jpegFallbackSize, format: 'jpeg' as const },
  ];
  return Promise.all(jobs.map(async ({ size, format }) => ({ size, format, ...(await encode(size, format)) })));
}
