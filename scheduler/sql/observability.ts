import type { SqlStatement } from '#shared/db/pool.ts';
import { bossSchema } from '#shared/queue/boss.ts';

/** Seconds the oldest queued generation has waited; 0 when the line is empty. */
export function oldestWaiting(): SqlStatement {
  return { text: `select coalesce(extract(epoch from now() - min(created_at)), 0)::float8 as seconds from generation where status = 'queued'`, values: [] };
}

/** Enabled instances and whether their last probe found them healthy. */
export function instanceHealthNow(): SqlStatement {
  return { text: `select id, name, health = 'healthy' as up from comfy_instance where enabled order by id`, values: [] };
}

/** For /readyz: the database answers, pg-boss's schema is there, and how many enabled instances are healthy. */
export function schedulerReadiness(): SqlStatement {
  return {
    text: `select to_regclass($1) is not null as "bossInstalled",
      (select count(*)::int from comfy_instance where enabled and not draining and health = 'healthy') as "healthyInstances"`,
    values: [`${bossSchema}.version`],
  };
}
