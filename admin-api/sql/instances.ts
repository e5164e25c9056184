import type { SqlStatement } from '#shared/db/pool.ts';
import { instanceColumns, type InstanceRow } from '#shared/db/sql/instances.ts';

export interface InstanceStatusRow extends InstanceRow {
  createdAt: Date;
  updatedAt: Date;
  /** Generations placed there and not finished (running or being cancelled). */
  queueDepth: number;
  /** Models discovery found on it, as `kind/fileName`. */
  models: { kind: string; fileName: string }[];
}

const runningCount = (instance: string) =>
  `(select count(*)::int from generation g where g.comfy_instance_id = ${instance} and g.status in ('running', 'cancel_requested'))`;

// The one below runs through MikroORM's em.execute inside an instance change, which binds `?`, not `$n`.

/** Generations placed on an instance and not finished. */
export function runningOnOrm(id: number): SqlStatement {
  return { text: `select ${runningCount('?')} as "queueDepth"`, values: [id] };
}

const statusColumns = `${instanceColumns}, i.created_at as "createdAt", i.updated_at as "updatedAt",
  ${runningCount('i.id')} as "queueDepth",
  coalesce((select jsonb_agg(jsonb_build_object('kind', m.kind, 'fileName', m.file_name) order by m.kind, m.file_name)
    from model m where m.instance_ids @> to_jsonb(i.id)), '[]'::jsonb) as models`;

/** Every instance with what an operator watches: health, last error, queue depth, speed, models present. */
export function instanceStatuses(id?: number): SqlStatement {
  return id === undefined
    ? { text: `select ${statusColumns} from comfy_instance i order by i.id`, values: [] }
    : { text: `select ${statusColumns} from comfy_instance i where i.id = $1`, values: [id] };
}
