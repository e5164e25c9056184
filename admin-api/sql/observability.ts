import type { SqlStatement } from '#shared/db/pool.ts';
import { bossSchema } from '#shared/queue/boss.ts';

/** One round trip proves the database answers and tells whether pg-boss has installed its schema. */
export function readinessProbe(): SqlStatement {
  return { text: `select 1 as ok, to_regclass($1) is not null as "bossInstalled"`, values: [`${bossSchema}.version`] };
}

export function generationsByStatus(): SqlStatement {
  return { text: `select status, count(*)::int as count from generation group by status`, values: [] };
}

/** Jobs waiting to be picked up (created or retry), per queue; queues with none still appear. */
export function queueDepths(): SqlStatement {
  return {
    text: `select q.name, count(j.id)::int as depth
      from ${bossSchema}.queue q
      left join ${bossSchema}.job j on j.name = q.name and j.state < 'active'
      group by q.name`,
    values: [],
  };
}
