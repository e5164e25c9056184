import { describe, expect, test } from 'vitest';
import { truncate } from '#shared/render/limits.ts';

const family = '👨‍👩‍👧‍👦'; // 4 people joined by ZWJ: 11 code units, one grapheme
const flag = '🇳🇴'; // two regional indicators: 4 code units
const eAcute = 'e\u0301'; // e + combining acute: 2 code units
const graphemeCount = (s: string) => [...new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(s)].length;

describe('truncate', () => {
  test('text within the limit comes back unchanged', () => {
    expect(truncate('a cat', 5)).toBe('a cat');
    expect(truncate(family, family.length)).toBe(family);
  });

  test('ASCII is cut to max - 1 and marked with an ellipsis', () => {
    expect(truncate('abcdefghij', 5)).toBe('abcd…');
    expect(truncate('abcdefghij', 5)).toHaveLength(5);
  });

  test('a surrogate pair at the boundary is kept whole or dropped whole, never split', () => {
    // 'abc' + 😀 (2 units): a naive slice(0, 4) would end on the high surrogate.
    const text = 'abc😀def';
    const cut = truncate(text, 5);
    expect(cut).toBe('abc…');
    expect(cut.isWellFormed()).toBe(true);
    expect(truncate(text, 6)).toBe('abc😀…');
  });

  test('a ZWJ family emoji is never broken into its members', () => {
    const text = `hi ${family}${family}`;
    for (let max = 1; max < text.length; max++) {
      const cut = truncate(text, max);
      expect(cut.length).toBeLessThanOrEqual(max);
      expect(cut.isWellFormed()).toBe(true);
      const body = cut.slice(0, -1);
      expect([ '', 'h', 'hi', 'hi ', `hi ${family}` ]).toContain(body);
    }
  });

  test('flags stay pairs of regional indicators (no flag turns into another or a lone letter)', () => {
    const text = flag.repeat(10);
    for (let max = 1; max < text.length; max++) {
      const body = truncate(text, max).slice(0, -1);
      expect(body.length).toBe(Math.floor((max - 1) / flag.length) * flag.length);
      expect(body).toBe(flag.repeat(body.length / flag.length));
    }
  });

  test('combining marks stay with their base letter', () => {
    const text = eAcute.repeat(5); // 10 units
    expect(truncate(text, 4)).toBe(`${eAcute}…`);
    expect(truncate(text, 5)).toBe(`${eAcute}${eAcute}…`);
  });

  test('one grapheme longer than the limit (Zalgo) is cut between code points, not dropped', () => {
    const zalgo = `Z${'\u0336'.repeat(300)}`;
    const cut = truncate(zalgo, 100);
    expect(cut).toHaveLength(100);
    expect(cut.startsWith('Z\u0336')).toBe(true);
    expect(cut.endsWith('…')).toBe(true);
  });

  test('an emoji sequence that does not fit at all is left out whole, not cut into parts', () => {
    const tags = `🏴${'\u{E0067}'.repeat(60)}`; // one tag-sequence grapheme of 122 units
    expect(truncate(tags, 51)).toBe('…');
    expect(truncate(`${flag}x`, 3)).toBe('…');
  });

  test('lone surrogates already in the text come out as U+FFFD (same length)', () => {
    expect(truncate('a\uD83Db', 10)).toBe('a\uFFFDb');
    expect(truncate(`a\uDE00${'x'.repeat(20)}`, 5)).toBe('a\uFFFDxx…');
  });

  test('a custom or empty ellipsis; a limit shorter than the ellipsis', () => {
    expect(truncate('abcdef', 4, '')).toBe('abcd');
    expect(truncate(`ab${family}`, 5, '')).toBe('ab');
    expect(truncate('abcdef', 4, '...')).toBe('a...');
    expect(truncate('abcdef', 2, '...')).toBe('ab');
    expect(truncate('abcdef', 0)).toBe('');
  });

  test('a 5000-character emoji prompt cut to an embed title stays within 256 units and whole', () => {
    const text = `${family}${flag}${eAcute}😀`.repeat(300);
    const cut = truncate(text, 256);
    expect(cut.length).toBeLessThanOrEqual(256);
    expect(cut.length).toBeGreaterThan(240);
    expect(cut.isWellFormed()).toBe(true);
    expect(text.startsWith(cut.slice(0, -1))).toBe(true);
    expect(graphemeCount(cut.slice(0, -1)) + graphemeCount(text.slice(cut.length - 1))).toBe(graphemeCount(text));
  });
});
