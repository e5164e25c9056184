/** Real image bytes for the simulated GPU: PNGs whose pixels derive from a fingerprint, with tEXt chunks. */
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';

export function fingerprintOf(parts: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))).digest('hex');
}

function colourAt(hash: Buffer, offset: number): [number, number, number] {
  return [hash[offset % 32]!, hash[(offset + 1) % 32]!, hash[(offset + 2) % 32]!];
}

/** Raw RGB pixels: a diagonal gradient between two colours from the hash, plus a hash-placed band. */
function gradientPixels(seedHex: string, width: number, height: number, blend = 1): Buffer {
  const hash = Buffer.from(seedHex.slice(0, 64).padEnd(64, '0'), 'hex');
  const a = colourAt(hash, 0);
  const b = colourAt(hash, 3);
  const band = hash[6]! / 255;
  const pixels = Buffer.alloc(width * height * 3);
  const span = Math.max(1, width + height - 2);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const t = (x + y) / span;
      const inBand = Math.abs(x / Math.max(1, width) - band) < 0.05;
      const i = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) {
        const v = a[c]! * (1 - t) + b[c]! * t;
        const mixed = 128 + (v - 128) * blend;
        pixels[i + c] = inBand ? 255 - mixed : mixed;
      }
    }
  }
  return pixels;
}

function textChunk(keyword: string, text: string): Buffer {
  const data = Buffer.concat([Buffer.from(keyword, 'latin1'), Buffer.from([0]), Buffer.from(text, 'latin1')]);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const typeAndData = Buffer.concat([Buffer.from('tEXt', 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typeAndData) >>> 0);
  return Buffer.concat([len, typeAndData, crc]);
}

/** Inserts tEXt chunks right after IHDR (PIL's PngInfo writes them before IDAT). */
export function withTextChunks(png: Buffer, texts: [string, string][]): Buffer {
  const ihdrEnd = 8 + 4 + 4 + 13 + 4;
  return Buffer.concat([png.subarray(0, ihdrEnd), ...texts.map(([k, v]) => textChunk(k, v)), png.subarray(ihdrEnd)]);
}

/** Reads all tEXt chunks of a PNG (for tests and /view consumers). */
export function readTextChunks(png: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let pos = 8;
  while (pos + 8 <= png.length) {
    const len = png.readUInt32BE(pos);
    const type = png.toString('ascii', pos + 4, pos + 8);
    if (type === 'tEXt') {
      const data = png.subarray(pos + 8, pos + 8 + len);
      const nul = data.indexOf(0);
      out.set(data.toString('latin1', 0, nul), data.toString('latin1', nul + 1));
    }
    if (type === 'IEND') break;
    pos += 12 + len;
  }
  return out;
}

/** Above this many pixels the gradient is drawn small and enlarged by libvips, off the event loop. */
const DRAWN_PIXELS = 2048 * 2048;

export async function renderPng(fingerprint: string, width: number, height: number, texts: [string, string][], compressionLevel = 4): Promise<Buffer> {
  const scale = Math.min(1, Math.sqrt(DRAWN_PIXELS / (width * height)));
  const w = Math.max(1, Math.round(width * scale));
  const h = Math.max(1, Math.round(height * scale));
  const image = sharp(gradientPixels(fingerprint, w, h), { raw: { width: w, height: h, channels: 3 } });
  const png = await (w === width && h === height ? image : image.resize(width, height, { kernel: 'nearest' })).png({ compressionLevel }).toBuffer();
  return withTextChunks(png, texts);
}

/** A latent preview for step `step` of `steps`: the final picture fading in, JPEG quality 95, at most 512 px. */
export async function renderPreview(fingerprint: string, latentWidth: number, latentHeight: number, step: number, steps: number): Promise<Buffer> {
  const scale = Math.min(1, 512 / Math.max(latentWidth, latentHeight));
  const w = Math.max(1, Math.round(latentWidth * scale));
  const h = Math.max(1, Math.round(latentHeight * scale));
  return sharp(gradientPixels(fingerprint, w, h, step / Math.max(1, steps)), { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: 95 }).toBuffer();
}
