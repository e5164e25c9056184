import type { GenerationOutput } from '#shared/db/entities/generation.ts';

/** Every storage key an output holds: its original and its thumbnails. */
export function outputKeys(o: GenerationOutput): string[] {
  return [o.path, ...(o.thumbnails ?? []).map((t) => t.path)].filter((k): k is string => Boolean(k));
}

/** Keys of outputs that were stored before and are not any more (the files to delete). */
export function keysGone(before: GenerationOutput[], after: GenerationOutput[]): string[] {
  const stillStored = new Set(after.filter((o) => o.status === 'stored').map((o) => o.index));
  return before.filter((o) => o.status === 'stored' && !stillStored.has(o.index)).flatMap(outputKeys);
}
