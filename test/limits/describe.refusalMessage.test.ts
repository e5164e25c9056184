import { describe, expect, test } from 'vitest';
import { checkRequest, explainRefusal } from '#shared/limits/check-request.ts';
import { refusalMessage } from '#shared/limits/describe.ts';
import { noLimits } from '#shared/limits/policy.ts';
import type { UsageRow } from '#shared/limits/windows.ts';

const now = new Date('2026-12-01T12:34:56.789Z');
const unix = (iso: string) => new Date(iso).getTime() / 1000;

describe('refusalMessage', () => {
  test('a window: names the limit, the numbers, and when it frees up as a Discord timestamp', () => {
    const text = refusalMessage({ kind: 'window', window: 'hour', used: 19, limit: 20, requested: 2, freesAt: new Date('2026-12-01T13:00:00Z') }, now);
    expect(text).toBe(
      `Limit reached: 20 images per hour. You have used 19 of 20 and this request needs 2 (1 left). The count starts again <t:${unix('2026-12-01T13:00:00Z')}:R> (at <t:${unix('2026-12-01T13:00:00Z')}:t>).`,
    );
  });

  test('requests at once, batch, steps, pixels and blocked name their limit and numbers', () => {
    expect(refusalMessage({ kind: 'active', active: 3, limit: 3 }, now)).toMatch(/^Limit reached: 3 requests queued or running at once\. You have 3 waiting or running/);
    expect(refusalMessage({ kind: 'batch', requested: 4, max: 2 }, now)).toBe('`batch` 4 is over your limit of 2 images per request. Ask for 2 or fewer.');
    expect(refusalMessage({ kind: 'batch', requested: 4, max: 3, because: 'minute' }, now)).toBe('`batch` 4 is more than your limit of 3 images per minute. Ask for 3 or fewer.');
    expect(refusalMessage({ kind: 'steps', requested: 80, max: 50 }, now)).toBe('`steps` 80 is over your limit of 50 steps. Use 50 or fewer.');
    expect(refusalMessage({ kind: 'pixels', width: 2048, height: 1024, max: 1_048_576 }, now)).toBe(
      '`size` 2048×1024 (2,097,152 pixels) is over your limit of 1,048,576 pixels per image (1024×1024 fits). Pick a smaller size.',
    );
    expect(refusalMessage({ kind: 'blocked' }, now)).toMatch(/may not generate images here/);
  });

  test('a full line gives the numbers and the current wait, with when a request sent now would start', () => {
    const text = refusalMessage({ kind: 'line', waiting: 50_000, cap: 50_000, waitSeconds: 1500 }, now);
    expect(text).toContain('The line is full: 50,000 requests are waiting and the cap is 50,000.');
    expect(text).toContain(`The current wait is about 25 min (a request sent now would start <t:${Math.ceil(now.getTime() / 1000) + 1500}:R>)`);
    expect(refusalMessage({ kind: 'line', waiting: 10, cap: 10, waitSeconds: null }, now)).toBe('The line is full: 10 requests are waiting and the cap is 10. Please try again later.');
  });
});

describe('checkRequest', () => {
  const limits = { ...noLimits, perMinute: 3, maxBatch: 4, maxSteps: 50, maxPixels: 1_048_576 };
  const ok = { images: 1, steps: 50, width: 1024, height: 1024 };

  test('within every cap: nothing to refuse', () => {
    expect(checkRequest(limits, ok)).toBeNull();
  });

  test('blocked comes first; then batch (also larger than a whole window), steps, pixels', () => {
    expect(checkRequest({ ...limits, blocked: true }, ok)).toEqual({ kind: 'blocked' });
    expect(checkRequest(limits, { ...ok, images: 5 })).toEqual({ kind: 'batch', requested: 5, max: 4 });
    expect(checkRequest(limits, { ...ok, images: 4 })).toEqual({ kind: 'batch', requested: 4, max: 3, because: 'minute' });
    expect(checkRequest(limits, { ...ok, steps: 51 })).toEqual({ kind: 'steps', requested: 51, max: 50 });
    expect(checkRequest(limits, { ...ok, width: 1032 })).toEqual({ kind: 'pixels', width: 1032, height: 1024, max: 1_048_576 });
  });
});

describe('explainRefusal', () => {
  const usage: UsageRow = {
    minuteStart: new Date('2026-12-01T12:34:00Z'), minuteCount: 2,
    hourStart: new Date('2026-12-01T12:00:00Z'), hourCount: 9,
    dayStart: new Date('2026-12-01T00:00:00Z'), dayCount: 9, active: 1,
  };
  const line = { waiting: 0, cap: 0, waitSeconds: null };

  test('the first window without room, freeing at its end', () => {
    expect(explainRefusal({ ...noLimits, perMinute: 3, perHour: 10 }, 2, usage, now, line)).toEqual({
      kind: 'window', window: 'minute', used: 2, limit: 3, requested: 2, freesAt: new Date('2026-12-01T12:35:00Z'),
    });
    expect(explainRefusal({ ...noLimits, perHour: 10 }, 2, usage, now, line)).toMatchObject({ kind: 'window', window: 'hour', freesAt: new Date('2026-12-01T13:00:00Z') });
  });

  test('a count from an older window does not count', () => {
    const later = new Date('2026-12-01T12:35:01Z');
    expect(explainRefusal({ ...noLimits, perMinute: 3, maxActive: 1 }, 2, usage, later, line)).toEqual({ kind: 'active', active: 1, limit: 1 });
  });

  test('the full line before anything else; room everywhere means the request lost a race', () => {
    expect(explainRefusal({ ...noLimits, perMinute: 3 }, 2, usage, now, { waiting: 5, cap: 5, waitSeconds: 60 })).toEqual({ kind: 'line', waiting: 5, cap: 5, waitSeconds: 60 });
    expect(explainRefusal(noLimits, 1, usage, now, line)).toEqual({ kind: 'contended' });
  });
});
