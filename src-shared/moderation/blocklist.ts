import { createRequire } from 'node:module';
import type { BlocklistKind } from '#shared/db/entities/guild-moderation.ts';
import { foldText, stripAccents } from './fold-text.ts';

export interface BlocklistEntry {
  id: number;
  kind: BlocklistKind;
  pattern: string;
}

export const blocklistLimits = { patternMax: 200, entriesPerGuild: 200 } as const;

interface Matcher {
  test(folded: string): boolean;
}

type RE2Class = typeof import('re2-wasm').RE2;
let re2Class: RE2Class | undefined;
// Loaded (synchronously, it is CommonJS) on the first regex: its WebAssembly memory costs every
// process megabytes, and most guilds block words or nothing.
const re2 = (): RE2Class => (re2Class ??= (createRequire(import.meta.url)('re2-wasm') as typeof import('re2-wasm')).RE2);

// Compiled matchers by kind and pattern. re2-wasm never frees a compiled expression, so they are
// kept (a guild has at most `entriesPerGuild`) and the cache is only emptied when it grows very large.
const compiled = new Map<string, Matcher>();
const cacheMax = 20_000;

function escapeLiteral(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

/**
 * A word (or phrase) matches whole: "ass" blocks "an ass" but not "class". Built from an escaped
 * literal, so it cannot backtrack badly.
 */
function wordMatcher(word: string): Matcher {
  const re = new RegExp(`(?<![\\p{L}\\p{N}])${escapeLiteral(foldText(word))}(?![\\p{L}\\p{N}])`, 'u');
  return { test: (folded) => re.test(folded) };
}

/**
 * Regular expressions run on RE2 (re2-wasm), whose matching time is linear in the prompt's length
 * whatever the pattern: `(a+)+$` cannot backtrack catastrophically. Accents are stripped from the
 * pattern (never lowercased: `\S` is not `\s`) and it matches case-insensitively.
 */
function regexMatcher(pattern: string): Matcher {
  const re = new (re2())(stripAccents(pattern), 'iu');
  return { test: (folded) => re.test(folded) };
}

function matcherFor(entry: Pick<BlocklistEntry, 'kind' | 'pattern'>): Matcher {
  const key = `${entry.kind}:${entry.pattern}`;
  let m = compiled.get(key);
  if (!m) {
    if (compiled.size >= cacheMax) compiled.clear();
    m = entry.kind === 'word' ? wordMatcher(entry.pattern) : regexMatcher(entry.pattern);
    compiled.set(key, m);
  }
  return m;
}

/** Checks a pattern a moderator wants to add; returns why it cannot be used, or null. */
export function blocklistPatternProblem(kind: BlocklistKind, pattern: string): string | null {
  if (!pattern.trim()) return 'The pattern is empty.';
  if (pattern.length > blocklistLimits.patternMax) return `The pattern is longer than ${blocklistLimits.patternMax} characters.`;
  if (kind === 'word' && !foldText(pattern)) return 'The word is empty once accents and spaces are removed.';
  let m: Matcher;
  try {
    m = kind === 'word' ? wordMatcher(pattern) : regexMatcher(pattern);
  } catch (err) {
    // RE2 refuses what it cannot run in linear time (backreferences, lookaround) with a syntax error.
    return `That regular expression cannot be used: ${err instanceof Error ? err.message.replace(/^Invalid regular expression: /, '') : String(err)}.`;
  }
  if (m.test('')) return 'That regular expression matches an empty prompt, so it would block every prompt.';
  return null;
}

/** The first entry found in any of `texts` (prompt, negative prompt), or null. */
export function findBlocked(entries: readonly BlocklistEntry[], texts: readonly string[]): BlocklistEntry | null {
  if (!entries.length) return null;
  const folded = texts.map(foldText).filter(Boolean);
  for (const entry of entries) {
    let m: Matcher;
    try {
      m = matcherFor(entry);
    } catch {
      continue; // checked when added; a pattern that stopped compiling must not block everything
    }
    if (folded.some((t) => m.test(t))) return entry;
  }
  return null;
}
