import type { LimitScope } from '#shared/db/entities/limit-policy.ts';

export const limitFields = ['perMinute', 'perHour', 'perDay', 'maxActive', 'maxBatch', 'maxSteps', 'maxPixels'] as const;
export type LimitField = (typeof limitFields)[number];

/** The largest cap anyone may set: well inside Postgres int and far above any sensible cap. */
export const maxLimitValue = 100_000_000;

/** The limits that apply to one member in one guild. 0 = no cap. */
export type Limits = Record<LimitField, number> & { blocked: boolean };

/** One limit_policy row. null = not set at this scope: the next wider scope decides. */
export type PolicyValues = Record<LimitField, number | null> & { blocked: boolean | null };

export interface PolicyRow extends PolicyValues {
  scope: LimitScope;
  guildId: string;
  subjectId: string;
}

/** Who is asking: the user, the guild the request comes from, and the user's roles there. */
export interface Member {
  userId: string;
  guildId: string | null;
  roleIds: readonly string[];
}

export const noLimits: Limits = { perMinute: 0, perHour: 0, perDay: 0, maxActive: 0, maxBatch: 0, maxSteps: 0, maxPixels: 0, blocked: false };

function applies(row: PolicyRow, member: Member): boolean {
  switch (row.scope) {
    case 'global':
      return true;
    case 'guild':
      return row.guildId === member.guildId;
    case 'role':
      return row.guildId === member.guildId && member.roleIds.includes(row.subjectId);
    case 'user':
      return row.subjectId === member.userId;
  }
}

/** The more generous of two caps: no cap (0) beats any cap, otherwise the larger one. */
function moreGenerous(a: number, b: number): number {
  return a === 0 || b === 0 ? 0 : Math.max(a, b);
}

/**
 * Per field, the most specific scope that sets it wins: user, then the member's roles, then the
 * guild, then the global row, then `defaults` (configuration). Among several roles that set a
 * field, the most generous value wins (no cap over any cap, a larger cap over a smaller one,
 * not blocked over blocked). Pure; rows that do not apply to `member` are ignored.
 */
export function resolveLimits(defaults: Limits, rows: readonly PolicyRow[], member: Member): Limits {
  const mine = rows.filter((r) => applies(r, member));
  const one = (scope: LimitScope) => mine.find((r) => r.scope === scope);
  const roles = mine.filter((r) => r.scope === 'role');
  const [user, guild, global] = [one('user'), one('guild'), one('global')];

  const limits = { ...defaults };
  for (const field of limitFields) {
    const roleValues = roles.map((r) => r[field]).filter((v): v is number => v !== null);
    const role = roleValues.length ? roleValues.reduce(moreGenerous) : null;
    limits[field] = user?.[field] ?? role ?? guild?.[field] ?? global?.[field] ?? defaults[field];
  }
  const roleBlocked = roles.map((r) => r.blocked).filter((v): v is boolean => v !== null);
  const role = roleBlocked.length ? roleBlocked.every(Boolean) : null;
  limits.blocked = user?.blocked ?? role ?? guild?.blocked ?? global?.blocked ?? defaults.blocked;
  return limits;
}
