import type { GenerationOutput } from '#shared/db/entities/generation.ts';

/** How many of a generation's images are still stored, and how many of those are kept. */
export function keepState(outputs: readonly GenerationOutput[]): { stored: number; kept: number } {
  const stored = outputs.filter((o) => o.status === 'stored');
  return { stored: stored.length, kept: stored.filter((o) => o.kept === true).length };
}

/** ⭐ toggles: kept when every stored image already is, so a press un-keeps; otherwise it keeps. */
export function isKept(outputs: readonly GenerationOutput[]): boolean {
  const { stored, kept } = keepState(outputs);
  return stored > 0 && kept === stored;
}
