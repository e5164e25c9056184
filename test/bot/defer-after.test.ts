import { describe, expect, test } from 'vitest';
import { deferAfterFor } from '#bot/respond/reply-in-time.ts';

describe('deferAfterFor', () => {
  test('counts from the interaction, not from when the work starts', () => {
    expect(deferAfterFor(10_000, 1_500, 10_000)).toBe(1_500);
    expect(deferAfterFor(10_000, 1_500, 10_900)).toBe(600); // a button's owner check took 0.9 s
    expect(deferAfterFor(10_000, 1_500, 13_000)).toBe(1); // already late: defer at once
  });

  test('a local clock behind Discord\'s never defers later than usual; 0 keeps "defer before the work"', () => {
    expect(deferAfterFor(10_000, 1_500, 9_000)).toBe(1_500);
    expect(deferAfterFor(10_000, 0, 12_000)).toBe(0);
  });
});
