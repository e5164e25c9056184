import { describe, expect, test } from 'vitest';
import { blocklistPatternProblem, findBlocked, type BlocklistEntry } from '#shared/moderation/blocklist.ts';
import { foldText } from '#shared/moderation/fold-text.ts';

const word = (pattern: string, id = 1): BlocklistEntry => ({ id, kind: 'word', pattern });
const regex = (pattern: string, id = 2): BlocklistEntry => ({ id, kind: 'regex', pattern });

describe('foldText', () => {
  test('strips accents, lowercases, folds compatibility forms and whitespace', () => {
    expect(foldText('  Crème\tBRÛLÉE  ')).toBe('creme brulee');
    expect(foldText('Ｃａｆé ﬁne')).toBe('cafe fine');
    expect(foldText('Ångström')).toBe('angstrom');
  });
});

describe('findBlocked: words', () => {
  test('match whole words whatever the case and accents, on either side', () => {
    const entries = [word('crème brûlée')];
    expect(findBlocked(entries, ['a CREME   Brulee please'])).toEqual(entries[0]);
    expect(findBlocked([word('creme')], ['Crème fraîche'])).not.toBeNull();
    expect(findBlocked([word('CAFÉ')], ['cafe au lait'])).not.toBeNull();
  });

  test('do not match inside other words', () => {
    expect(findBlocked([word('ass')], ['a classic bass'])).toBeNull();
    expect(findBlocked([word('ass')], ['an ass!'])).not.toBeNull();
  });

  test('a word with regex characters is taken literally', () => {
    expect(findBlocked([word('c++')], ['I like c++ code'])).not.toBeNull();
    expect(findBlocked([word('a.b')], ['axb'])).toBeNull();
  });

  test('looks at every text given (prompt and negative prompt)', () => {
    expect(findBlocked([word('gore')], ['a calm lake', 'no GORE'])).not.toBeNull();
    expect(findBlocked([word('gore')], ['a calm lake', ''])).toBeNull();
  });
});

describe('findBlocked: regular expressions', () => {
  test('match case- and accent-insensitively, pattern accents stripped too', () => {
    expect(findBlocked([regex('bl(o|ö)od+y')], ['BLÖODDY mess'])).not.toBeNull();
    expect(findBlocked([regex('naïve\\s+art')], ['NAIVE ART'])).not.toBeNull();
    expect(findBlocked([regex('\\bnu+de?\\b')], ['nuuud figure'])).not.toBeNull();
    expect(findBlocked([regex('\\bnu+de?\\b')], ['nudist'])).toBeNull();
  });

  test('pathological patterns run in linear time (RE2): no catastrophic backtracking on hostile prompts', () => {
    // With a backtracking engine each of these takes longer than the age of the universe.
    const hostile = `${'a'.repeat(2000)}!`;
    expect(findBlocked([regex('(a+)+$')], [hostile])).toBeNull();
    expect(findBlocked([regex('(a|aa)+$')], [hostile])).toBeNull();
    expect(findBlocked([regex('(x+x+)+y')], ['x'.repeat(2000)])).toBeNull();
    expect(findBlocked([regex('(a+)+$')], ['a'.repeat(2000)])).not.toBeNull();
  });

  test('the first matching entry is returned', () => {
    const entries = [word('cat', 1), regex('d.g', 2)];
    expect(findBlocked(entries, ['a dog and a cat'])?.id).toBe(1);
    expect(findBlocked(entries, ['a dig'])?.id).toBe(2);
  });
});

describe('blocklistPatternProblem', () => {
  test('accepts ordinary words and expressions, including ones that backtrack badly elsewhere', () => {
    expect(blocklistPatternProblem('word', 'crème')).toBeNull();
    expect(blocklistPatternProblem('regex', '(a+)+$')).toBeNull();
  });

  test('refuses what cannot run in linear time, what matches everything, empty and over-long patterns', () => {
    expect(blocklistPatternProblem('regex', '(a)\\1')).toMatch(/^That regular expression cannot be used: .*invalid escape/);
    expect(blocklistPatternProblem('regex', 'foo(?=bar)')).toMatch(/^That regular expression cannot be used/);
    expect(blocklistPatternProblem('regex', '(unclosed')).toMatch(/^That regular expression cannot be used/);
    expect(blocklistPatternProblem('regex', 'x*')).toMatch(/matches an empty prompt/);
    expect(blocklistPatternProblem('word', '   ')).toBe('The pattern is empty.');
    expect(blocklistPatternProblem('word', '\u0301')).toMatch(/empty once accents/);
    expect(blocklistPatternProblem('regex', 'a'.repeat(201))).toMatch(/longer than 200/);
  });
});
