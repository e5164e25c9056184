import sharp from 'sharp';

/**
 * PNGs with realistic content: smooth colour fields plus fine grain, different per image.
 * Flat colour compresses (and encodes) unrealistically fast; pure noise unrealistically slow.
 */
export async function syntheticImages(count: number, size: number): Promise<Buffer[]> {
  const images: Buffer[] = [];
  for (let n = 0; n < count; n++) {
    const pixels = Buffer.alloc(size * size * 3);
    const f = [1 + (n % 5), 2 + (n % 3), 3 + (n % 7)].map((k) => (k * Math.PI) / size);
    let seed = 0x9e3779b9 ^ n;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        seed = (seed * 1103515245 + 12345) >>> 0;
        const grain = ((seed >>> 16) & 3) - 2;
        const i = (y * size + x) * 3;
        pixels[i] = clamp(128 + 100 * Math.sin(f[0]! * x + n) + grain);
        pixels[i + 1] = clamp(128 + 100 * Math.sin(f[1]! * y + 2 * n) + grain);
        pixels[i + 2] = clamp(128 + 100 * Math.sin(f[2]! * (x + y)) + grain);
      }
    }
    images.push(await sharp(pixels, { raw: { width: size, height: size, channels: 3 } }).png().toBuffer());
  }
  return images;
}

function clamp(v: number): number {
  return Math.max(0, Math.min(255, Math.round(v)));
}
