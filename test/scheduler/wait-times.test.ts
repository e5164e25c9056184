import { expect, test } from 'vitest';
import { fallbackWaitMs, recheckOutlookMs } from '#scheduler/generation/wait-times.ts';

test('a waiting job\'s fallback doubles from 2 s to 8 s; with many waiting in the process it stretches so that they claim about twice a second together', () => {
  expect([0, 1, 2, 3, 10].map((q) => fallbackWaitMs(q, 1))).toEqual([2000, 4000, 8000, 8000, 8000]);
  expect(fallbackWaitMs(0, 200)).toBe(2000);
  expect(fallbackWaitMs(10, 200)).toBe(100_000);
  expect(200 / (fallbackWaitMs(50, 200) / 1000)).toBe(2);
  expect(fallbackWaitMs(1000, 10)).toBe(8000);
});

test('an outlook stays fresh 10 s, longer with more than 100 waiting', () => {
  expect(recheckOutlookMs(1)).toBe(10_000);
  expect(recheckOutlookMs(100)).toBe(10_000);
  expect(recheckOutlookMs(400)).toBe(40_000);
});
