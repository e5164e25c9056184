import { expect, test } from 'vitest';
import { foldSpeeds } from '#scheduler/generation/speed-fold.ts';

const oneByOne = (avg: number | null, speeds: number[]) => speeds.reduce<number | null>((a, s) => (a === null ? s : a * 0.8 + s * 0.2), avg);

test('speeds written together move the rolling average exactly as written one by one', () => {
  const speeds = [0.5, 0.7, 0.2, 1.1];
  const fold = foldSpeeds(speeds)!;
  expect(0.9 * fold.scale + fold.add).toBeCloseTo(oneByOne(0.9, speeds)!, 12);
  // No average yet: the first speed starts it.
  expect(fold.initial).toBeCloseTo(oneByOne(null, speeds)!, 12);
  expect(foldSpeeds([0.4])).toEqual({ scale: 0.8, add: 0.4 * 0.2, initial: 0.4 });
  expect(foldSpeeds([])).toBeUndefined();
});
