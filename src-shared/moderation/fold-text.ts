/** Longest text the blocklist looks at: prompts are at most 2,000 characters each, folding may grow them. */
export const maxScreenedLength = 8_000;

const combiningMarks = /\p{M}+/gu;

/** Compatibility decomposition without the accents: "Ｃafé" → "Cafe", "ﬁ" → "fi". */
export function stripAccents(text: string): string {
  return text.normalize('NFKD').replace(combiningMarks, '');
}

/**
 * What the blocklist compares: accents stripped, lowercase, whitespace runs as one space, bounded in
 * length. Applied to prompts and to blocked words alike, so "Crème BRÛLÉE" matches "creme brulee".
 */
export function foldText(text: string): string {
  return stripAccents(text).toLowerCase().replace(/\s+/gu, ' ').trim().slice(0, maxScreenedLength);
}
