import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkImage } from '#bot/images/check-image.ts';
import { downloadCapped } from '#bot/images/download-capped.ts';
import { ErrorCode } from '#shared/errors.ts';
import { sizeForPicture, upscaledSize } from '#bot/validation/image-size.ts';
import { parseStrength } from '#bot/validation/strength.ts';

describe('downloadCapped', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/missing') return res.writeHead(404).end();
      // Chunked, no Content-Length: only counting the bytes can stop it.
      res.writeHead(200, { 'content-type': 'image/png' });
      const total = req.url === '/big' ? 1_000_000 : 5_000;
      let sent = 0;
      const push = () => {
        while (sent < total) {
          sent += 1000;
          if (!res.write(Buffer.alloc(1000, 7))) return res.once('drain', push);
        }
        res.end();
      };
      push();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('returns a file under the cap whole', async () => {
    expect((await downloadCapped(`${base}/small`, 10_000)).byteLength).toBe(5_000);
  });

  it('stops a stream with no Content-Length once it passes the cap', async () => {
    await expect(downloadCapped(`${base}/big`, 20_000)).rejects.toMatchObject({ code: ErrorCode.Validation, expose: true, message: expect.stringMatching(/larger than/) });
  });

  it('a failed download is a refusal the member can act on', async () => {
    await expect(downloadCapped(`${base}/missing`, 10_000)).rejects.toMatchObject({ expose: true, message: expect.stringMatching(/could not be downloaded/) });
  });
});

describe('checkImage', () => {
  it('decodes a real picture (any name) and re-encodes it as PNG', async () => {
    const jpeg = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#ff0000' } }).jpeg().toBuffer();
    const checked = await checkImage(jpeg, 10_000);
    expect(checked).toMatchObject({ width: 64, height: 48, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect((await sharp(checked.png).metadata()).format).toBe('png');
  });

  it('refuses a PNG signature with nothing behind it, a truncated PNG, an unsupported format and too many pixels', async () => {
    const png = await sharp({ create: { width: 200, height: 200, channels: 3, background: '#00ff00' } }).png().toBuffer();
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>');
    await expect(checkImage(Buffer.concat([png.subarray(0, 8), Buffer.from('fake')]), 1e6)).rejects.toThrow(/not a picture/);
    await expect(checkImage(png.subarray(0, Math.floor(png.byteLength / 2)), 1e6)).rejects.toThrow(/damaged or cut short/);
    await expect(checkImage(svg, 1e6)).rejects.toThrow(/not a picture/);
    await expect(checkImage(png, 39_999)).rejects.toThrow(/200×200/);
  });
});

describe('picture sizes', () => {
  it('keeps the shape within /imagine limits, multiples of 8', () => {
    expect(sizeForPicture(640, 480)).toEqual({ width: 640, height: 480 });
    expect(sizeForPicture(4000, 3000)).toEqual({ width: 2048, height: 1536 });
    expect(sizeForPicture(100, 100)).toEqual({ width: 256, height: 256 });
    const wide = sizeForPicture(10_000, 100);
    expect(wide).toEqual({ width: 2048, height: 256 });
    const odd = sizeForPicture(1001, 999);
    expect(odd.width % 8 + odd.height % 8).toBe(0);
  });

  it('upscales twice, or as far as 4 megapixels allow; refuses at the limit', () => {
    expect(upscaledSize(512, 512)).toEqual({ width: 1024, height: 1024 });
    expect(upscaledSize(1024, 1024)).toEqual({ width: 2048, height: 2048 });
    expect(upscaledSize(1216, 832)).toEqual({ width: 2048, height: 1400 });
    expect(upscaledSize(2048, 2048)).toBeNull();
  });

  it('strength: 0.05 to 1, default 0.6', () => {
    expect(parseStrength(null)).toEqual({ ok: true, value: 0.6 });
    expect(parseStrength(0.05)).toEqual({ ok: true, value: 0.05 });
    expect(parseStrength(1.2).ok).toBe(false);
    expect(parseStrength(0.01).ok).toBe(false);
  });
});
