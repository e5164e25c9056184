import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { asDb } from '#shared/db/pool.ts';
import { ImageLinks, imageUrlKeyName, loadImageUrlKey } from '#shared/images/image-links.ts';
import { imagePath } from '#shared/images/image-paths.ts';
import { signPath, verifySignature } from '#shared/images/signing.ts';
import { adminToken, errorOf } from './harness.ts';
import { startImageWorld, type ImageWorld, type StoredGeneration } from './image-fixture.ts';

let w: ImageWorld;
let g: StoredGeneration;

beforeAll(async () => {
  w = await startImageWorld();
  g = await w.storedGeneration({ outputs: 2 });
});
afterAll(async () => {
  await w?.close();
});

const get = (target: string, token: string | null = null) => w.api.request(target, { token });

describe('who may open an image', () => {
  test('a signed link opens its image: 200, image/png, the stored bytes, private and immutable until the link ends', async () => {
    const res = await get(await w.signed(g.row.id, 1));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await res.arrayBuffer()).equals(g.originals[1]!)).toBe(true);
    const maxAge = Number(/max-age=(\d+)/.exec(res.headers.get('cache-control') ?? '')?.[1]);
    expect(res.headers.get('cache-control')).toMatch(/^private, max-age=\d+, immutable$/);
    expect(maxAge).toBeGreaterThan(3500);
    expect(maxAge).toBeLessThanOrEqual(3600);
  });

  test('the admin token opens any image without a signature', async () => {
    const res = await get(imagePath(g.row.id, 0), adminToken);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(g.originals[0]!)).toBe(true);
    expect(res.headers.get('cache-control')).toBe('private, max-age=31536000, immutable');
  });

  test('neither a signature nor a token: 401 that says what is needed; a wrong token: 401 invalid bearer token', async () => {
    const none = await get(imagePath(g.row.id, 0));
    expect(none.status).toBe(401);
    expect(await errorOf(none)).toMatchObject({ code: 'unauthorized', message: expect.stringMatching(/signed link.*ADMIN_TOKEN/) });
    const wrong = await get(imagePath(g.row.id, 0), `${adminToken}x`);
    expect(wrong.status).toBe(401);
    expect(await errorOf(wrong)).toMatchObject({ code: 'unauthorized', message: 'invalid bearer token' });
  });

  test('an expired link is refused with 403 link_expired and when it expired', async () => {
    const past = new ImageLinks({ db: asDb(w.tdb.pool), ttlSeconds: 60, baseUrl: 'http://images.test', now: () => Date.now() - 3_600_000 });
    const res = await get(await w.signed(g.row.id, 0, undefined, past));
    expect(res.status).toBe(403);
    const error = await errorOf(res);
    expect(error).toMatchObject({ code: 'link_expired', details: { expiredAt: expect.any(String) } });
    expect(Date.parse((error.details as { expiredAt: string }).expiredAt)).toBeLessThan(Date.now() - 3_000_000);
  });

  test('tampered links are refused with 403 link_invalid: other image, later expiry, changed signature, other key, junk', async () => {
    const target = await w.signed(g.row.id, 0);
    const url = new URL(target, 'http://x');
    const sig = url.searchParams.get('sig')!;
    const expires = Number(url.searchParams.get('expires'));
    // The last of 43 base64url characters carries two unused bits: this spelling decodes to the same bytes.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const sameBytes = sig.slice(0, -1) + alphabet[alphabet.indexOf(sig.at(-1)!) ^ 1];
    expect(Buffer.from(sameBytes, 'base64url').equals(Buffer.from(sig, 'base64url'))).toBe(true);
    const changedByte = sig.slice(0, 10) + (sig[10] === 'A' ? 'B' : 'A') + sig.slice(11);
    const otherKey = new ImageLinks({ db: asDb(w.tdb.pool), secret: 'another-secret-of-at-least-32-characters', ttlSeconds: 3600, baseUrl: 'http://x' });
    const attempts = [
      `${imagePath(g.row.id, 1)}${url.search}`,
      `${url.pathname}?expires=${expires + 86_400}&sig=${sig}`,
      `${url.pathname}?expires=${expires}&sig=${sameBytes}`,
      `${url.pathname}?expires=${expires}&sig=${changedByte}`,
      `${url.pathname}?expires=${expires}&sig=${sig.toUpperCase() === sig ? sig.toLowerCase() : sig.toUpperCase()}`,
      await w.signed(g.row.id, 0, undefined, otherKey),
      `${url.pathname}?expires=${expires}&sig=${sig}=`,
      `${url.pathname}?expires=${expires}&sig=${sig}&sig=${sig}`,
      `${url.pathname}?expires=0${expires}&sig=${sig}`,
      `${url.pathname}?expires=${expires}`,
      `${url.pathname}?sig=${sig}`,
      `${url.pathname}?expires=never&sig=${sig}`,
    ];
    for (const attempt of attempts) {
      const res = await get(attempt);
      expect(res.status, attempt).toBe(403);
      expect(await errorOf(res), attempt).toMatchObject({ code: 'link_invalid', details: null });
    }
    expect((await get(target)).status).toBe(200);
  });

  test('a link for the original does not open its thumbnails (each path is signed on its own)', async () => {
    const withThumbs = await w.storedGeneration({ thumbnails: true });
    const original = new URL(await w.signed(withThumbs.row.id, 0), 'http://x');
    expect((await get(`${original.pathname}/thumb/256.webp${original.search}`)).status).toBe(403);
    expect((await get(await w.signed(withThumbs.row.id, 0, '256.webp'))).status).toBe(200);
  });
});

describe('the signing key', () => {
  test('made once in the database and shared: concurrent first users all get the same key, one row', async () => {
    await w.tdb.pool.query('delete from app_secret where name = $1', [imageUrlKeyName]);
    const db = asDb(w.tdb.pool);
    const keys = await Promise.all(Array.from({ length: 12 }, () => loadImageUrlKey(db)));
    expect(new Set(keys.map((k) => k.toString('hex'))).size).toBe(1);
    expect(keys[0]!.length).toBeGreaterThanOrEqual(32);
    const { rows } = await w.tdb.pool.query('select count(*)::int as n from app_secret');
    expect(rows[0].n).toBe(1);
    // Links made by a second process (another ImageLinks on the same database) open on this one.
    const scheduler = new ImageLinks({ db, ttlSeconds: 600, baseUrl: 'http://elsewhere' });
    const fresh = new ImageLinks({ db, ttlSeconds: 600, baseUrl: 'http://elsewhere' });
    expect((await fresh.key()).equals(await scheduler.key())).toBe(true);
  });

  test('IMAGE_URL_SECRET, when set, is the key: links signed with it verify, database-keyed ones do not', () => {
    const secret = Buffer.from('configured-secret-that-is-long-enough-0123');
    const path = imagePath(g.row.id, 0);
    const now = Math.floor(Date.now() / 1000);
    const signed = signPath(path, now + 60, secret);
    expect(verifySignature(path, { expires: String(signed.expires), sig: signed.sig }, secret, now)).toEqual({ ok: true, expires: now + 60 });
    expect(verifySignature(path, { expires: String(signed.expires), sig: signed.sig }, Buffer.from('x'.repeat(40)), now)).toMatchObject({ ok: false, reason: 'invalid' });
    // A forged signature never learns whether its expiry passed; a genuine one does.
    expect(verifySignature(path, { expires: String(signed.expires), sig: signed.sig }, secret, now + 61)).toMatchObject({ ok: false, reason: 'expired' });
  });
});
