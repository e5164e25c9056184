import type Router from '@koa/router';
import type pg from 'pg';
import { withTransaction, type Db } from '#shared/db/pool.ts';
import { insertAudit } from '#shared/db/sql/audit.ts';
import { AppError, ErrorCode } from '#shared/errors.ts';
import { adminActor } from '../audit.ts';
import { validate } from '../middleware/validate.ts';
import { apiPrefix, newRouter } from '../routing.ts';
import { putFamilyRulesBody } from '../schemas/model-family-rule-schemas.ts';
import { listFamilyRules, lockFamilyRules, replaceFamilyRules } from '../sql/model-family-rules.ts';

export const familyRulesPath = `${apiPrefix}/model-family-rules`;

interface RuleRow {
  position: number;
  pattern: string;
  family: string;
}

const read = async (db: Db) => {
  const { text, values } = listFamilyRules();
  return (await db.executeSql<RuleRow>(text, values)).rows;
};

/**
 * `/api/v1/model-family-rules`: the file-name rules that give a discovered model without a family in
 * its safetensors header one. `PUT` replaces the ordered list in one transaction with its audit row.
 */
export function modelFamilyRulesRouter({ db, pool }: { db: Db; pool?: pg.Pool }): Router {
  const router = newRouter();

  router.get(familyRulesPath, async (ctx) => {
    ctx.body = { items: await read(db) };
  });

  router.put(familyRulesPath, validate('body', putFamilyRulesBody), async (ctx) => {
    if (!pool) throw new AppError(ErrorCode.Internal, 'this admin API runs without a database pool for writes, so it cannot change rules', { status: 503, expose: true });
    const { rules } = (ctx.state as { body: { rules: { pattern: string; family: string }[] } }).body;
    ctx.body = {
      items: await withTransaction(pool, async (tx) => {
        const lock = lockFamilyRules();
        await tx.executeSql(lock.text, lock.values);
        const before = await read(tx);
        for (const stmt of replaceFamilyRules(rules)) await tx.executeSql(stmt.text, stmt.values);
        const after = await read(tx);
        const audit = insertAudit({ actor: adminActor, action: 'model_family_rules.set', entity: 'model_family_rule', entityId: 'all', before: { rules: before }, after: { rules: after } });
        await tx.executeSql(audit.text, audit.values);
        return after;
      }),
    };
  });

  return router;
}
