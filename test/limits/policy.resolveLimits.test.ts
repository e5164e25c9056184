import { describe, expect, test } from 'vitest';
import { noLimits, resolveLimits, type Limits, type PolicyRow, type PolicyValues } from '#shared/limits/policy.ts';

const defaults: Limits = { perMinute: 5, perHour: 50, perDay: 200, maxActive: 3, maxBatch: 4, maxSteps: 60, maxPixels: 1_048_576, blocked: false };
const unset: PolicyValues = { perMinute: null, perHour: null, perDay: null, maxActive: null, maxBatch: null, maxSteps: null, maxPixels: null, blocked: null };
const G = '900000000000000001';
const OTHER_G = '900000000000000002';
const U = '100000000000000001';
const row = (scope: PolicyRow['scope'], guildId: string, subjectId: string, values: Partial<PolicyValues>): PolicyRow => ({ scope, guildId, subjectId, ...unset, ...values });
const member = (roleIds: string[] = []) => ({ userId: U, guildId: G, roleIds });

describe('resolveLimits', () => {
  test('GIVEN no policy rows THEN the configured defaults apply', () => {
    expect(resolveLimits(defaults, [], member())).toEqual(defaults);
  });

  test('GIVEN every scope setting a field THEN user beats role beats guild beats global beats configuration, per field', () => {
    const rows = [
      row('global', '', '', { perMinute: 1, perHour: 11, perDay: 111, maxSteps: 20 }),
      row('guild', G, '', { perMinute: 2, perHour: 22, maxBatch: 2 }),
      row('role', G, 'r1', { perMinute: 3, maxActive: 9 }),
      row('user', '', U, { perMinute: 4 }),
    ];
    expect(resolveLimits(defaults, rows, member(['r1']))).toEqual({
      ...defaults,
      perMinute: 4, // user
      maxActive: 9, // role
      perHour: 22, // guild
      maxBatch: 2, // guild
      perDay: 111, // global
      maxSteps: 20, // global
    });
  });

  test('GIVEN several roles THEN the most generous value wins: no cap over any cap, the larger cap, not blocked over blocked', () => {
    const rows = [
      row('role', G, 'small', { perDay: 10, maxBatch: 1, maxSteps: 30, blocked: true }),
      row('role', G, 'large', { perDay: 100, maxBatch: 0, blocked: false }),
      row('role', G, 'mid', { perDay: 50, maxSteps: 40 }),
    ];
    const limits = resolveLimits(defaults, rows, member(['small', 'large', 'mid']));
    expect(limits).toMatchObject({ perDay: 100, maxBatch: 0, maxSteps: 40, blocked: false });
    expect(resolveLimits(defaults, rows, member(['small', 'mid']))).toMatchObject({ perDay: 50, maxBatch: 1, blocked: true });
  });

  test('GIVEN a role the member does not have, or a guild or role row of another guild THEN it is ignored', () => {
    const rows = [
      row('role', G, 'not-mine', { perMinute: 99 }),
      row('role', OTHER_G, 'r1', { perMinute: 98 }),
      row('guild', OTHER_G, '', { perMinute: 97, blocked: true }),
      row('user', '', '100000000000000002', { perMinute: 96 }),
    ];
    expect(resolveLimits(defaults, rows, member(['r1']))).toEqual(defaults);
  });

  test('GIVEN a blocked guild and a user row that unblocks THEN the user row wins; an unset user field falls through', () => {
    const rows = [row('guild', G, '', { blocked: true, perMinute: 2 }), row('user', '', U, { blocked: false })];
    expect(resolveLimits(defaults, rows, member())).toMatchObject({ blocked: false, perMinute: 2 });
    expect(resolveLimits(defaults, [row('guild', G, '', { blocked: true })], member())).toMatchObject({ blocked: true });
  });

  test('GIVEN 0 at a more specific scope THEN it lifts the cap set wider (0 = no cap)', () => {
    const rows = [row('global', '', '', { perDay: 10 }), row('user', '', U, { perDay: 0 })];
    expect(resolveLimits(defaults, rows, member()).perDay).toBe(0);
    expect(resolveLimits(noLimits, [], member())).toEqual(noLimits);
  });

  test('GIVEN a request from a DM (no guild) THEN only global and user rows apply', () => {
    const rows = [row('global', '', '', { perHour: 7 }), row('guild', G, '', { perHour: 8 }), row('user', '', U, { maxSteps: 9 })];
    expect(resolveLimits(defaults, rows, { userId: U, guildId: null, roleIds: [] })).toMatchObject({ perHour: 7, maxSteps: 9 });
  });
});
