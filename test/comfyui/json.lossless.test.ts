import { describe, expect, it } from 'vitest';
import { parseJsonLossless, stringifyJsonLossless } from '#shared/comfyui/json.ts';

describe('parseJsonLossless', () => {
  it('keeps integers beyond 2^53 exact as bigint, in any position', () => {
    const text = '{"max": 18446744073709551615, "seeds": [9007199254740993, -9007199254740993, 1], "ok": 9007199254740991}';
    expect(parseJsonLossless(text)).toEqual({ max: 18446744073709551615n, seeds: [9007199254740993n, -9007199254740993n, 1], ok: 9007199254740991 });
  });

  it('keeps a 16-digit unsafe integer (the shortest there is) exact', () => {
    expect(parseJsonLossless('[9007199254740992, 9999999999999999]')).toEqual([9007199254740992n, 9999999999999999n]);
  });

  it('parses ordinary text exactly as JSON.parse does', () => {
    const samples = [
      '{"type":"progress","data":{"value":3,"max":25,"prompt_id":"3f1c7a52-8f0e-4c6e-9d0a-5b1f1d2a9e11","node":"3"}}',
      '{"a": 1.5, "b": 1e21, "c": -0.0, "d": [true, false, null, "x\\u00e9"], "e": {"__proto__": 1}, "ts": 1728700000123}',
      '{"digits in a string": "12345678901234567890", "float": 0.12345678901234567890}',
      '[]',
      '"text"',
      '42',
    ];
    for (const text of samples) expect(parseJsonLossless(text)).toStrictEqual(JSON.parse(text));
  });

  it('rejects invalid JSON like JSON.parse', () => {
    expect(() => parseJsonLossless('{"a": 1')).toThrow(SyntaxError);
    expect(() => parseJsonLossless('{"a": 12345678901234567890')).toThrow(SyntaxError);
  });

  it('round-trips big integers through stringifyJsonLossless', () => {
    const text = '{"seed":18446744073709551615,"steps":20}';
    expect(stringifyJsonLossless(parseJsonLossless(text))).toBe(text);
  });
});
