import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { thumbnailNames } from '#shared/images/image-paths.ts';
import { errorOf } from './harness.ts';
import { startImageWorld, type ImageWorld, type StoredGeneration } from './image-fixture.ts';

let w: ImageWorld;
let g: StoredGeneration;
let target: string;
let png: Buffer;
let size: number;

beforeAll(async () => {
  w = await startImageWorld();
  g = await w.storedGeneration({ size: 160, thumbnails: true });
  target = await w.signed(g.row.id, 0);
  png = g.originals[0]!;
  size = png.length;
});
afterAll(async () => {
  await w?.close();
});

const get = (headers: Record<string, string> = {}, method = 'GET') => w.api.request(target, { token: null, method, headers });
const bytesOf = async (res: Response) => Buffer.from(await res.arrayBuffer());

function parseByteranges(body: Buffer, contentType: string): { type: string; range: string; data: Buffer }[] {
  const boundary = /boundary=([^;\s]+)/.exec(contentType)![1]!;
  const pieces = body.toString('latin1').split(`--${boundary}`);
  expect(pieces[0]).toBe('');
  expect(pieces.at(-1)).toBe('--\r\n');
  return pieces.slice(1, -1).map((piece) => {
    const split = piece.indexOf('\r\n\r\n');
    const head = piece.slice(2, split).split('\r\n');
    const header = (name: string) => head.find((h) => h.toLowerCase().startsWith(`${name}:`))!.split(': ')[1]!;
    const data = Buffer.from(piece.slice(split + 4, -2), 'latin1');
    return { type: header('content-type'), range: header('content-range'), data };
  });
}

describe('whole image, HEAD and headers', () => {
  test('GET: 200 with length, sha256 ETag, Last-Modified, Accept-Ranges, inline file name', async () => {
    const res = await get();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String(size));
    expect(res.headers.get('etag')).toBe(`"${g.row.outputs[0]!.sha256}"`);
    expect(Date.parse(res.headers.get('last-modified')!)).not.toBeNaN();
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(res.headers.get('content-disposition')).toBe(`inline; filename="${g.row.id.slice(0, 8)}_0.png"`);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect((await bytesOf(res)).equals(png)).toBe(true);
  });

  test('HEAD: the same headers and no body; a Range on HEAD is ignored (range handling is defined for GET only)', async () => {
    for (const headers of [{}, { range: 'bytes=0-9' }] as Record<string, string>[]) {
      const res = await get(headers, 'HEAD');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-length')).toBe(String(size));
      expect(res.headers.get('content-type')).toBe('image/png');
      expect(res.headers.get('etag')).toBe(`"${g.row.outputs[0]!.sha256}"`);
      expect((await bytesOf(res)).length).toBe(0);
    }
  });

  test('each thumbnail size with its own Content-Type, bytes as stored, and no larger than its size', async () => {
    const stored = g.row.outputs[0]!.thumbnails!;
    for (const name of thumbnailNames) {
      const res = await w.api.request(await w.signed(g.row.id, 0, name), { token: null });
      expect(res.status, name).toBe(200);
      const format = name.endsWith('.jpg') ? 'jpeg' : 'webp';
      expect(res.headers.get('content-type')).toBe(`image/${format}`);
      const body = await bytesOf(res);
      const thumb = stored.find((t) => `${t.size}.${t.format === 'jpeg' ? 'jpg' : 'webp'}` === name)!;
      expect(res.headers.get('etag')).toBe(`"${thumb.sha256}"`);
      expect(body.equals(await w.ctx.storage.get(thumb.path))).toBe(true);
      const meta = await sharp(body).metadata();
      expect(meta.format).toBe(format);
      expect(Math.max(meta.width, meta.height)).toBeLessThanOrEqual(Number(name.split('.')[0]));
    }
  });

  test('a thumbnail not made yet is 404 with the error shape; an unknown size is 400', async () => {
    const fresh = await w.storedGeneration();
    const res = await w.api.request(await w.signed(fresh.row.id, 0, '256.webp'), { token: null });
    expect(res.status).toBe(404);
    expect(await errorOf(res)).toMatchObject({ code: 'not_found', message: expect.stringContaining('256.webp') });
    const made = await w.makeThumbnails(fresh.row.id);
    expect(made.outputs[0]!.thumbnails).toHaveLength(4);
    expect((await w.api.request(await w.signed(fresh.row.id, 0, '256.webp'), { token: null })).status).toBe(200);
    const odd = await w.api.request(`/images/${fresh.row.id}/0/thumb/128.webp`, { token: null });
    expect(odd.status).toBe(400);
    expect(await errorOf(odd)).toMatchObject({ code: 'validation_failed', details: { name: [expect.stringContaining('256.webp')] } });
  });

  test('other methods: 405 with Allow: HEAD, GET and the error shape', async () => {
    const res = await w.api.request(target, { token: null, method: 'POST', json: {} });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')?.split(', ').sort()).toEqual(['GET', 'HEAD']);
    expect((await errorOf(res)).code).toBe('method_not_allowed');
  });
});

describe('byte ranges (RFC 9110 §14)', () => {
  // Expected [first, last] byte as a function of the image's size (known only once beforeAll ran).
  test.each<[string, (n: number) => [number, number]]>([
    ['bytes=0-99', () => [0, 99]],
    ['bytes=-500', (n) => [n - 500, n - 1]],
    ['bytes=100-', (n) => [100, n - 1]],
    ['bytes=0-0', () => [0, 0]],
    ['bytes=10-99999999', (n) => [10, n - 1]],
    ['bytes=-99999999', (n) => [0, n - 1]],
    ['bytes= 5-9 ', () => [5, 9]],
    ['bytes=0-9,5-19', () => [0, 19]],
  ])('%s → 206 with Content-Range and exactly those bytes', async (range, expected) => {
    const [start, end] = expected(size);
    const res = await get({ range });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe(`bytes ${start}-${end}/${size}`);
    expect(res.headers.get('content-length')).toBe(String(end - start + 1));
    expect(res.headers.get('content-type')).toBe('image/png');
    expect((await bytesOf(res)).equals(png.subarray(start, end + 1))).toBe(true);
  });

  test('several ranges → multipart/byteranges, in the order asked, with an exact Content-Length', async () => {
    const res = await get({ range: 'bytes=-5,0-9,100-199' });
    expect(res.status).toBe(206);
    const type = res.headers.get('content-type')!;
    expect(type).toMatch(/^multipart\/byteranges; boundary=\S+$/);
    const body = await bytesOf(res);
    expect(res.headers.get('content-length')).toBe(String(body.length));
    const parts = parseByteranges(body, type);
    expect(parts.map((p) => p.range)).toEqual([`bytes ${size - 5}-${size - 1}/${size}`, `bytes 0-9/${size}`, `bytes 100-199/${size}`]);
    expect(parts.every((p) => p.type === 'image/png')).toBe(true);
    expect(parts[0]!.data.equals(png.subarray(size - 5))).toBe(true);
    expect(parts[1]!.data.equals(png.subarray(0, 10))).toBe(true);
    expect(parts[2]!.data.equals(png.subarray(100, 200))).toBe(true);
  });

  test('a range that starts past the end, or only such ranges, is 416 with Content-Range bytes */size and the error shape', async () => {
    for (const range of [`bytes=${size}-`, `bytes=${size + 10}-${size + 20}`, `bytes=${size}-,${size + 1}-`, 'bytes=-0']) {
      const res = await get({ range });
      expect(res.status, range).toBe(416);
      expect(res.headers.get('content-range')).toBe(`bytes */${size}`);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(await errorOf(res)).toMatchObject({ code: 'range_not_satisfiable', details: { size } });
    }
  });

  test('a satisfiable range beside an unsatisfiable one: the satisfiable part is sent', async () => {
    const res = await get({ range: `bytes=0-3,${size + 5}-` });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe(`bytes 0-3/${size}`);
    expect((await bytesOf(res)).equals(png.subarray(0, 4))).toBe(true);
  });

  test('malformed byte ranges are refused with 416, never a 500 and never the whole file', async () => {
    for (const range of ['bytes=abc', 'bytes=5-1', 'bytes=', 'bytes', 'bytes=--1', 'bytes=1-2-3', 'bytes=0-9,x-', 'bytes=0x10-20', `bytes=${'1-2,'.repeat(400)}1-2`]) {
      const res = await get({ range });
      expect(res.status, range).toBe(416);
      expect(res.headers.get('content-range')).toBe(`bytes */${size}`);
      expect((await errorOf(res)).code).toBe('range_not_satisfiable');
    }
  });

  test('more than 16 separate ranges are refused (a denial-of-service shape); overlapping ones are merged first', async () => {
    const many = Array.from({ length: 17 }, (_, i) => `${i * 10}-${i * 10 + 1}`).join(',');
    expect((await get({ range: `bytes=${many}` })).status).toBe(416);
    const overlapping = Array.from({ length: 40 }, (_, i) => `${i}-${i + 5}`).join(',');
    const merged = await get({ range: `bytes=${overlapping}` });
    expect(merged.status).toBe(206);
    expect(merged.headers.get('content-range')).toBe(`bytes 0-44/${size}`);
  });

  test('a range unit other than bytes is ignored: 200 with the whole image', async () => {
    const res = await get({ range: 'items=0-5' });
    expect(res.status).toBe(200);
    expect((await bytesOf(res)).equals(png)).toBe(true);
  });

  test('If-Range: the current ETag or Last-Modified gives the range; anything else, or a weak tag, the whole image', async () => {
    const head = await get({}, 'HEAD');
    const etag = head.headers.get('etag')!;
    const lastModified = head.headers.get('last-modified')!;
    const ranged = async (ifRange: string) => (await get({ range: 'bytes=0-9', 'if-range': ifRange })).status;
    expect(await ranged(etag)).toBe(206);
    expect(await ranged(lastModified)).toBe(206);
    expect(await ranged('"something-else"')).toBe(200);
    expect(await ranged(`W/${etag}`)).toBe(200);
    expect(await ranged(new Date(Date.parse(lastModified) - 60_000).toUTCString())).toBe(200);
    expect(await ranged('not a date')).toBe(200);
  });
});

describe('conditional requests (RFC 9110 §13)', () => {
  test('If-None-Match with the ETag (or *, or its weak form): 304 with validators and caching, no body', async () => {
    const etag = (await get({}, 'HEAD')).headers.get('etag')!;
    for (const inm of [etag, '*', `W/${etag}`, `"other", ${etag}`]) {
      const res = await get({ 'if-none-match': inm });
      expect(res.status, inm).toBe(304);
      expect(res.headers.get('etag')).toBe(etag);
      expect(res.headers.get('cache-control')).toMatch(/immutable/);
      expect((await bytesOf(res)).length).toBe(0);
    }
    expect((await get({ 'if-none-match': '"other"' })).status).toBe(200);
    // A request's no-cache speaks to caches; the origin still validates and may say 304.
    expect((await get({ 'if-none-match': etag, 'cache-control': 'no-cache', pragma: 'no-cache' })).status).toBe(304);
  });

  test('If-Modified-Since: 304 when not modified since, 200 when it was; If-None-Match wins when both are sent', async () => {
    const lastModified = (await get({}, 'HEAD')).headers.get('last-modified')!;
    expect((await get({ 'if-modified-since': lastModified })).status).toBe(304);
    expect((await get({ 'if-modified-since': new Date(Date.parse(lastModified) - 60_000).toUTCString() })).status).toBe(200);
    expect((await get({ 'if-modified-since': lastModified, 'if-none-match': '"other"' })).status).toBe(200);
  });

  test('a conditional GET that is not modified answers 304 even with a Range', async () => {
    const etag = (await get({}, 'HEAD')).headers.get('etag')!;
    expect((await get({ 'if-none-match': etag, range: 'bytes=0-9' })).status).toBe(304);
  });

  test('If-Match and If-Unmodified-Since that do not hold: 412 with the error shape', async () => {
    const head = await get({}, 'HEAD');
    const etag = head.headers.get('etag')!;
    const lastModified = head.headers.get('last-modified')!;
    const failing: Record<string, string>[] = [
      { 'if-match': '"other"' },
      { 'if-match': `W/${etag}` },
      { 'if-unmodified-since': new Date(Date.parse(lastModified) - 60_000).toUTCString() },
    ];
    for (const headers of failing) {
      const res = await get(headers);
      expect(res.status).toBe(412);
      expect((await errorOf(res)).code).toBe('precondition_failed');
    }
    expect((await get({ 'if-match': etag })).status).toBe(200);
    expect((await get({ 'if-match': '*' })).status).toBe(200);
    expect((await get({ 'if-unmodified-since': lastModified })).status).toBe(200);
  });
});
