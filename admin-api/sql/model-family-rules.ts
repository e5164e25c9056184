import type { SqlStatement } from '#shared/db/pool.ts';

/** The file-name rules discovery applies, first match first. */
export function listFamilyRules(): SqlStatement {
  return { text: `select position, pattern, family from model_family_rule order by position, id`, values: [] };
}

/** Taken before reading and replacing, so two concurrent replacements do not merge their lists. */
export function lockFamilyRules(): SqlStatement {
  return { text: `lock table model_family_rule in share row exclusive mode`, values: [] };
}

/** Replaces every rule with these, numbered in the given order (10, 20, …). */
export function replaceFamilyRules(rules: { pattern: string; family: string }[]): SqlStatement[] {
  return [
    { text: `delete from model_family_rule`, values: [] },
    {
      text: `insert into model_family_rule (position, pattern, family)
        select n * 10, pattern, family from unnest($1::text[], $2::text[]) with ordinality as r(pattern, family, n)`,
      values: [rules.map((r) => r.pattern), rules.map((r) => r.family)],
    },
  ];
}
