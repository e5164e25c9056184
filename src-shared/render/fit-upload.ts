
export interface FittedImage {
  data: Buffer;
  format: 'png' | 'webp';
  /** True when the image was made smaller than the original to fit. */
  scaled: boolean;
}

/** Longest sides tried, largest first, once a full-size WebP is still too large. */
const previewSides = [2048, 1024, 512, 256] as const;

/**
 * The best version of a stored PNG that fits in `cap` bytes: the PNG itself, else a full-size WebP,
 * else WebPs ever smaller; undefined when not even the smallest fits (the message then only links).
 */
export async function fitUpload(png: Buffer, cap: number): Promise<FittedImage | undefined> {
  if (png.length <= cap) return { data: png, format: 'png', scaled: false };
  // Loaded on first need: most results fit as they are, and sharp costs the bot tens of MB.
  const { default: sharp } = await import('sharp');
  const source = sharp(png);
  const full = await source.clone().webp({ quality: 85 }).toBuffer();
  if (full.length <= cap) return { data: full, format: 'webp', scaled: false };
  for (const side of previewSides) {
    const smaller = await source.clone().resize(side, side, { fit: 'inside', withoutEnlargement: true }).webp({ quality: 75 }).toBuffer();
    if (smaller.length <= cap) return { data: smaller, format: 'webp', scaled: true };
  }
  return undefined;
}
