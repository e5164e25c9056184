import { describe, expect, test } from 'vitest';
import { noLimits } from '#shared/limits/policy.ts';
import { quotaOf } from '#shared/limits/quota.ts';
import { transitionEffects } from '#shared/limits/transition-effects.ts';
import { estimateWaitSeconds } from '#shared/limits/wait-estimate.ts';
import type { UsageRow } from '#shared/limits/windows.ts';

const now = new Date('2026-12-01T12:34:56Z');
const usage: UsageRow = {
  minuteStart: new Date('2026-12-01T12:34:00Z'), minuteCount: 1,
  hourStart: new Date('2026-12-01T12:00:00Z'), hourCount: 8,
  dayStart: new Date('2026-12-01T00:00:00Z'), dayCount: 30, active: 1,
};
const noLine = { waiting: 0, cap: 0 };

describe('quotaOf', () => {
  test('per window: cap, used, left and when it resets; images one request may ask for now', () => {
    const q = quotaOf({ ...noLimits, perMinute: 4, perHour: 10, perDay: 0, maxActive: 3, maxBatch: 4 }, usage, now, noLine);
    expect(q.windows).toEqual([
      { window: 'minute', limit: 4, used: 1, left: 3, resetsAt: new Date('2026-12-01T12:35:00Z') },
      { window: 'hour', limit: 10, used: 8, left: 2, resetsAt: new Date('2026-12-01T13:00:00Z') },
      { window: 'day', limit: 0, used: 30, left: null, resetsAt: new Date('2026-12-02T00:00:00Z') },
    ]);
    expect(q.active).toEqual({ count: 1, limit: 3 });
    expect(q.imagesNow).toBe(2);
  });

  test('nothing now when blocked, at the active cap or the line is full; no usage row = untouched windows', () => {
    expect(quotaOf({ ...noLimits, blocked: true }, usage, now, noLine).imagesNow).toBe(0);
    expect(quotaOf({ ...noLimits, maxActive: 1 }, usage, now, noLine).imagesNow).toBe(0);
    expect(quotaOf(noLimits, usage, now, { waiting: 9, cap: 9 }).imagesNow).toBe(0);
    const fresh = quotaOf({ ...noLimits, perMinute: 4 }, undefined, now, noLine);
    expect(fresh.windows[0]).toMatchObject({ used: 0, left: 4 });
    expect(fresh.imagesNow).toBe(4);
    expect(quotaOf(noLimits, undefined, now, noLine).imagesNow).toBeNull();
  });
});

describe('transitionEffects', () => {
  const base = { userId: 'u', batchSize: 3, startedAt: null, chargedAt: now };

  test('ending before it started gives the images back; ending after it started, or succeeding, does not', () => {
    expect(transitionEffects({ ...base, from: 'queued', to: 'cancelled' })).toEqual({ releaseActive: true, refundImages: 3, waitingDelta: -1 });
    expect(transitionEffects({ ...base, from: 'queued', to: 'failed' })).toEqual({ releaseActive: true, refundImages: 3, waitingDelta: -1 });
    expect(transitionEffects({ ...base, startedAt: now, from: 'running', to: 'failed' })).toEqual({ releaseActive: true, refundImages: 0, waitingDelta: 0 });
    expect(transitionEffects({ ...base, startedAt: now, from: 'cancel_requested', to: 'cancelled' })).toEqual({ releaseActive: true, refundImages: 0, waitingDelta: 0 });
    expect(transitionEffects({ ...base, startedAt: now, from: 'running', to: 'succeeded' })).toEqual({ releaseActive: true, refundImages: 0, waitingDelta: 0 });
  });

  test('leaving and rejoining the line moves the waiting count; a request never counted changes nothing', () => {
    expect(transitionEffects({ ...base, from: 'queued', to: 'running' })).toEqual({ releaseActive: false, refundImages: 0, waitingDelta: -1 });
    expect(transitionEffects({ ...base, startedAt: now, from: 'running', to: 'queued' })).toEqual({ releaseActive: false, refundImages: 0, waitingDelta: 1 });
    expect(transitionEffects({ ...base, startedAt: now, from: 'running', to: 'cancel_requested' })).toEqual({ releaseActive: false, refundImages: 0, waitingDelta: 0 });
    expect(transitionEffects({ ...base, chargedAt: null, from: 'queued', to: 'cancelled' })).toEqual({ releaseActive: false, refundImages: 0, waitingDelta: 0 });
  });
});

describe('estimateWaitSeconds', () => {
  test('requests ahead spread over the servers that are up, times a recent run; unknown without either', () => {
    expect(estimateWaitSeconds(10, 20, 2)).toBe(100);
    expect(estimateWaitSeconds(11, 20, 2)).toBe(120);
    expect(estimateWaitSeconds(10, null, 2)).toBeNull();
    expect(estimateWaitSeconds(10, 20, 0)).toBeNull();
  });
});
