import { createHash } from 'node:crypto';
import sharp, { type Metadata, type OutputInfo } from 'sharp';
import { AppError, ErrorCode } from '#shared/errors.ts';

/** Formats PIL (ComfyUI's LoadImage) and sharp both read; anything else is refused. */
const accepted = new Set(['png', 'jpeg', 'webp', 'gif']);

export interface CheckedImage {
  /** Re-encoded as PNG (orientation applied, metadata dropped): what is stored and uploaded. */
  png: Buffer;
  width: number;
  height: number;
  sha256: string;
}

const refusal = (message: string, details: Record<string, unknown> = {}) =>
  new AppError(ErrorCode.Validation, message, { expose: true, details: { option: 'image', ...details } });

/**
 * Decodes the bytes with sharp, never trusting the name or content type: not a picture, an
 * unsupported format or more than `maxPixels` pixels is a refusal the member reads.
 */
export async function checkImage(bytes: Buffer, maxPixels: number): Promise<CheckedImage> {
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch {
    throw refusal('`image`: that file is not a picture we can read. Attach a PNG, JPEG, WebP or GIF image.');
  }
  if (!meta.format || !accepted.has(meta.format) || !meta.width || !meta.height) {
    throw refusal('`image`: that file is not a picture we can read. Attach a PNG, JPEG, WebP or GIF image.', { format: meta.format });
  }
  const pixels = meta.width * meta.height;
  if (pixels > maxPixels) {
    throw refusal(`\`image\`: the picture is ${meta.width}×${meta.height}, more than ${(maxPixels / 1e6).toFixed(1)} megapixels. Attach a smaller one.`, { width: meta.width, height: meta.height, maxPixels });
  }
  let png: Buffer;
  let info: OutputInfo;
  try {
    // Decoding the whole picture (not only its header) catches truncated or corrupt files.
    ({ data: png, info } = await sharp(bytes, { limitInputPixels: maxPixels, failOn: 'error' }).rotate().png().toBuffer({ resolveWithObject: true }));
  } catch {
    throw refusal('`image`: that picture is damaged or cut short. Attach another one.');
  }
  return { png, width: info.width, height: info.height, sha256: createHash('sha256').update(png).digest('hex') };
}
