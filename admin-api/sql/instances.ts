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

const statusColumns = `${instanceColumns}, i.created_at as "createdAt", i.updated_at as "updatedAt",
  (select count(*)::int from generation g where g.comfy_instance_id = i.id and g.status in ('running', 'cancel_requested')) as "queueDepth",
  coalesce((select jsonb_agg(jsonb_build_object('kind', m.kind, 'fileName', m.file_name) order by m.kind, m.file_name)
    from model m where m.instance_ids @> to_jsonb(i.id)), '[]'::jsonb) as models`;

/** Every instance with what an operator watches: health, last error, queue depth, speed, models present. */
export function instanceStatuses(id?: number): SqlStatement {
  return id === undefined
    ? { text: `select ${statusColumns} from comfy_instance i order by i.id`, values: [] }
    : { text: `select ${statusColumns} from comfy_instance i where i.id = $1`, values: [id] };
}
