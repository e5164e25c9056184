import { describe, expect, test } from 'vitest';
import { applyPatterns, patternFree, scrubText } from '#shared/redaction/scrub-text.ts';

const sha256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

describe('scrubText', () => {
  test.each([
    ['PATCH /api/v10/webhooks/100000000000000001/aW50ZXJhY3Rpb24:c2VjcmV0/messages/@original', 'PATCH /api/v10/webhooks/100000000000000001/[redacted]/messages/@original'],
    ['POST /interactions/123456789012345678/aW50ZXJhY3Rpb24%3Ac2VjcmV0/callback?with_response=true', 'POST /interactions/123456789012345678/[redacted]/callback?with_response=true'],
    ['authorization: Bot MTAxMjM0NTY3ODkw.GhIjKl.c2VjcmV0LWJvdC10b2tlbg', 'authorization: Bot [redacted]'],
    ['Authorization: Bearer admin-token-0123456789abcdef', 'Authorization: Bearer [redacted]'],
    ['connect to postgres://genonaut:hunter2@db:5432/genonaut failed', 'connect to postgres://genonaut:[redacted]@db:5432/genonaut failed'],
    ['GET http://comfy:8188/view?filename=a.png&token=abc123&sig=deadbeef', 'GET http://comfy:8188/view?filename=a.png&token=[redacted]&sig=[redacted]'],
    ['host=db user=app password=s3cret dbname=x', 'host=db user=app password=[redacted] dbname=x'],
    ['{"interaction_token":"abc.def","ok":true}', '{"interaction_token":"[redacted]","ok":true}'],
    ['leaked MTAxMjM0NTY3ODkwMTIzNDU2.GhIjKl.c2VjcmV0LWJvdC10b2tlbi12YWx1ZQ in a message', 'leaked [redacted] in a message'],
    ['jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl here', 'jwt [redacted] here'],
    [`img data:image/png;base64,${'iVBORw0KGgo'.repeat(10)} end`, 'img data:image/png;[data omitted] end'],
    [`blob ${'QUJD'.repeat(100)} end`, 'blob [400 chars of encoded data omitted] end'],
    [`bytes [${Array.from({ length: 100 }, (_, i) => i % 256).join(',')}]`, 'bytes [[100 numbers omitted]]'],
  ])('%s', (input, expected) => {
    expect(scrubText(input)).toBe(expected);
  });

  test.each([
    'Bot disconnected; reconnecting',
    'genonaut started: bot, scheduler and admin API',
    'loaded sd_xl_base_1.0.safetensors and juggernautXL_v9Rundiffusionphoto2.fp16.safetensors',
    `stored output 0 (sha256 ${sha256})`,
    'generation 0b6f4f0e-8f8a-4c1e-9d4a-0a1b2c3d4e5f failed: out of memory',
    'ComfyUI at http://127.0.0.1:8188 could not be reached (GET /object_info, 3 attempts: ECONNREFUSED)',
    'tokenExpiresAt=2025-01-01 maxTokens=77',
    'interactionTokenExpiresAt is in the past',
  ])('leaves ordinary text alone: %s', (input) => {
    expect(scrubText(input)).toBe(input);
  });

  test('long text is cut, and a token straddling the cut is still removed, not half-kept', () => {
    const token = 'aW50ZXJhY3Rpb246MTIzNDU2Nzg5MDEyMzQ1Njc4OTpzZWNyZXQ';
    const text = `${'x '.repeat(1000)}/webhooks/100000000000000001/${token}/messages ${'y '.repeat(5000)}`;
    const out = scrubText(text);
    expect(out.length).toBeLessThan(2100);
    expect(out).toMatch(/…\[12\d{3} chars in all\]$/);
    expect(text.slice(0, 2048)).toContain(token.slice(0, 12)); // a plain cut would keep this much
    expect(out).not.toContain(token.slice(0, 12));
  });

  test('text judged pattern-free is never changed by a pattern (fuzzed), so skipping the patterns for it loses nothing', () => {
    const pieces = [
      'a', 'Z', '9', '0', '-', '_', ' ', '\t', '\n', 'token', 'password', 'pwd', 'secret', 'api_key', 'Bot', 'Bearer', 'Basic', 'bearer', 'sig', 'auth',
      'eyJhbGciOiJIUzI1NiJ9', 'MTAxMjM0NTY3ODkwMTIzNDU2', 'GhIjKl', 'c2VjcmV0LWJvdC10b2tlbi12YWx1ZQ', 'webhooks', 'interactions', 'data', 'image', 'base64',
      'QUJD'.repeat(20), '0b6f4f0e-8f8a-4c1e-9d4a-0a1b2c3d4e5f', '123', '255', '/', ':', '?', '&', '=', '"', "'", ',', '.', '@', '%', '+', '[', ']', '`',
    ];
    let seed = 14;
    const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31);
    let free = 0;
    for (let i = 0; i < 20_000; i++) {
      const text = Array.from({ length: 1 + (next() % 30) }, () => pieces[next() % pieces.length]).join('');
      if (!patternFree(text)) continue;
      free += 1;
      expect(applyPatterns(text), text).toBe(text);
    }
    expect(free).toBeGreaterThan(1000);
    for (const id of ['0b6f4f0e-8f8a-4c1e-9d4a-0a1b2c3d4e5f', '42', 'prompt finished', 'generation succeeded']) expect(patternFree(id)).toBe(true);
    for (const marked of ['Authorization: Bearer abcdefghijkl', 'Bearer abcdefghijkl', 'a.b', 'QUJD'.repeat(50)]) expect(patternFree(marked)).toBe(false);
  });
});
