import type Router from '@koa/router';
import type { Middleware } from 'koa';
import type pg from 'pg';
import type { z } from 'zod';
import type { Db } from '#shared/db/pool.ts';
import { AppError, ErrorCode } from '#shared/errors.ts';
import { limitFields, type PolicyValues } from '#shared/limits/policy.ts';
import { emptyPolicy, readPolicy, writePolicy, type PolicyScope } from '#shared/limits/policy-store.ts';
import { adminActor } from '../audit.ts';
import { validate } from '../middleware/validate.ts';
import { apiPrefix, newRouter } from '../routing.ts';
import { guildParams, putPolicyBody, roleParams, userParams } from '../schemas/limit-schemas.ts';
import { listPolicies } from '../sql/limits.ts';

export interface LimitsRouterDeps {
  db: Db;
  /** For writes (one transaction with the audit row); without it writes answer 503. */
  pool?: pg.Pool;
}

const allFields: (keyof PolicyValues)[] = [...limitFields, 'blocked'];

/** A scope's path under /api/v1/limits, its params, and which limit_policy row it names. */
export const limitScopes = [
  { path: 'global', label: 'the global scope', params: undefined, scopeOf: (): PolicyScope => ({ scope: 'global', guildId: '', subjectId: '' }) },
  { path: 'guilds/:guildId', label: 'a guild', params: guildParams, scopeOf: (p: z.output<typeof guildParams>): PolicyScope => ({ scope: 'guild', guildId: p.guildId, subjectId: '' }) },
  {
    path: 'guilds/:guildId/roles/:roleId', label: 'a role of a guild', params: roleParams,
    scopeOf: (p: z.output<typeof roleParams>): PolicyScope => {
      // @everyone's id is the guild's: its limits are the guild scope, as /genadmin treats it.
      if (p.roleId === p.guildId) throw new AppError(ErrorCode.Validation, 'the @everyone role is the guild itself: use /api/v1/limits/guilds/:guildId', { details: { roleId: ['is the guild id'] } });
      return { scope: 'role', guildId: p.guildId, subjectId: p.roleId };
    },
  },
  { path: 'users/:userId', label: 'a user (in every guild)', params: userParams, scopeOf: (p: z.output<typeof userParams>): PolicyScope => ({ scope: 'user', guildId: '', subjectId: p.userId }) },
] as const;

const view = (s: PolicyScope, values: PolicyValues | null) => ({ scope: s.scope, guildId: s.guildId || null, subjectId: s.subjectId || null, values: values ?? emptyPolicy });

/**
 * `/api/v1/limits`: the limit policies of every scope, the same rows `/genadmin limits` writes, with
 * the same resolution (user, then roles, then guild, then global, then configuration) and the same
 * audit (`limits.set`, before and after, in the change's transaction), the caller being the token.
 */
export function limitsRouter({ db, pool }: LimitsRouterDeps): Router {
  const base = `${apiPrefix}/limits`;
  const router = newRouter();

  router.get(base, async (ctx) => {
    const { text, values } = listPolicies();
    const { rows } = await db.executeSql<PolicyScope & PolicyValues & { updatedAt: Date }>(text, values);
    ctx.body = { items: rows.map((r) => ({ ...view(r, Object.fromEntries(allFields.map((f) => [f, r[f]])) as PolicyValues), updatedAt: r.updatedAt })) };
  });

  const write = async (s: PolicyScope, values: PolicyValues) => {
    if (!pool) throw new AppError(ErrorCode.Internal, 'this admin API runs without a database pool for writes, so it cannot change limits', { status: 503, expose: true });
    return writePolicy(pool, s, values, adminActor);
  };

  for (const scope of limitScopes) {
    const path = `${base}/${scope.path}`;
    const params: Middleware[] = scope.params ? [validate('params', scope.params) as Middleware] : [];
    const scopeOf = (state: { params?: unknown }) => (scope.scopeOf as (p: unknown) => PolicyScope)(state.params);

    router.get(path, ...params, async (ctx) => {
      const s = scopeOf(ctx.state);
      ctx.body = view(s, await readPolicy(db, s));
    });

    router.put(path, ...params, validate('body', putPolicyBody) as Middleware, async (ctx) => {
      const s = scopeOf(ctx.state);
      const body = (ctx.state as { body: Partial<PolicyValues> }).body;
      // A whole policy: what the body leaves out is not set here any more.
      const values = Object.fromEntries(allFields.map((f) => [f, body[f] ?? null])) as PolicyValues;
      const { before, after } = await write(s, values);
      ctx.body = { ...view(s, after), before: before ?? emptyPolicy };
    });

    router.delete(path, ...params, async (ctx) => {
      await write(scopeOf(ctx.state), emptyPolicy);
      ctx.status = 204;
    });
  }

  return router;
}
