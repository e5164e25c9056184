import type pg from 'pg';
import type { LimitScope } from '#shared/db/entities/limit-policy.ts';
import { withTransaction, type Db } from '#shared/db/pool.ts';
import { insertAudit } from '#shared/db/sql/audit.ts';
import { limitFields, type PolicyRow, type PolicyValues } from './policy.ts';
import { ensurePolicy, lockPolicy, writePolicyValues } from './sql.ts';

/** Which limit_policy row: `guildId` for guild and role scopes, `subjectId` the role or user id. */
export interface PolicyScope {
  scope: LimitScope;
  guildId: string;
  subjectId: string;
}

export const emptyPolicy: PolicyValues = { perMinute: null, perHour: null, perDay: null, maxActive: null, maxBatch: null, maxSteps: null, maxPixels: null, blocked: null };

/** The fields a change gives: a number or `blocked` sets it, null clears it (the wider scope decides), absent keeps it. */
export type PolicyChange = Partial<PolicyValues>;

export interface PolicyWrite {
  /** Values before and after; null = no row at that scope. */
  before: PolicyValues | null;
  after: PolicyValues | null;
}

const valuesOf = (row: PolicyRow): PolicyValues => ({ ...Object.fromEntries(limitFields.map((f) => [f, row[f]])), blocked: row.blocked }) as PolicyValues;
const isEmpty = (v: PolicyValues) => Object.values(v).every((x) => x === null);
const auditEntityId = (s: PolicyScope) => [s.scope, s.guildId, s.subjectId].filter(Boolean).join(':');

/** One scope's policy as stored (null = no row). */
export async function readPolicy(db: Db, s: PolicyScope): Promise<PolicyValues | null> {
  const stmt = lockPolicy(s.scope, s.guildId, s.subjectId);
  // `for update` is harmless outside a transaction; inside one it is what writePolicy needs.
  const row = (await db.executeSql<PolicyRow>(stmt.text, stmt.values)).rows[0];
  return row ? valuesOf(row) : null;
}

/**
 * Changes one scope's policy and writes its audit_log row (who, before, after) in ONE transaction:
 * both commit or neither. The row is locked, so "before" is what this change replaced even when two
 * moderators write at once. For /genadmin and, later, the admin API.
 */
export async function writePolicy(pool: pg.Pool, s: PolicyScope, change: PolicyChange, actor: string): Promise<PolicyWrite> {
  return withTransaction(pool, async (db) => {
    const ensure = ensurePolicy(s.scope, s.guildId, s.subjectId);
    await db.executeSql(ensure.text, ensure.values);
    const current = (await readPolicy(db, s)) ?? emptyPolicy;
    const after: PolicyValues = { ...current };
    for (const [field, value] of Object.entries(change) as [keyof PolicyValues, number | boolean | null | undefined][]) {
      if (value !== undefined) (after as Record<string, unknown>)[field] = value;
    }
    const write = writePolicyValues(s.scope, s.guildId, s.subjectId, after);
    await db.executeSql(write.text, write.values);
    const result = { before: isEmpty(current) ? null : current, after: isEmpty(after) ? null : after };
    const audit = insertAudit({ actor, action: 'limits.set', entity: 'limit_policy', entityId: auditEntityId(s), ...result });
    await db.executeSql(audit.text, audit.values);
    return result;
  });
}
