import type { SqlStatement } from '#shared/db/pool.ts';
import type { ModelKind } from '#shared/db/entities/model.ts';

/** Serialises discovery runs (scheduler job, `models:refresh`, admin refresh) until the transaction ends. */
export function lockModelDiscovery(): SqlStatement {
  return { text: `select pg_advisory_xact_lock(hashtext('genonaut:discover-models'))`, values: [] };
}

export interface DiscoveryModelRow {
  id: number;
  kind: ModelKind;
  fileName: string;
  source: 'discovered' | 'manual';
  available: boolean;
  instanceIds: number[];
}

export function listModelsForDiscovery(): SqlStatement {
  return {
    text: `select id, kind, file_name as "fileName", source, available, instance_ids as "instanceIds" from model order by id`,
    values: [],
  };
}

export interface DiscoveredModelInsert {
  kind: ModelKind;
  fileName: string;
  displayName: string;
  enabled: boolean;
  unsafe: boolean;
  instanceIds: number[];
}

/** New discovered files; a row created meanwhile (same kind and file) wins. */
export function insertDiscoveredModels(rows: DiscoveredModelInsert[]): SqlStatement {
  return {
    text: `insert into model (kind, file_name, display_name, enabled, unsafe, available, source, instance_ids, first_seen_at, last_seen_at)
      select r.kind, r.file_name, r.display_name, r.enabled, r.unsafe, true, 'discovered', r.instance_ids::jsonb, now(), now()
      from unnest($1::text[], $2::text[], $3::text[], $4::bool[], $5::bool[], $6::text[])
        as r(kind, file_name, display_name, enabled, unsafe, instance_ids)
      on conflict (kind, file_name) do nothing
      returning id, kind, file_name as "fileName"`,
    values: [
      rows.map((r) => r.kind),
      rows.map((r) => r.fileName),
      rows.map((r) => r.displayName),
      rows.map((r) => r.enabled),
      rows.map((r) => r.unsafe),
      rows.map((r) => JSON.stringify(r.instanceIds)),
    ],
  };
}

export interface DiscoveredModelUpdate {
  id: number;
  instanceIds: number[];
  available: boolean;
  /** Seen on an instance now: last (and, if unset, first) seen time moves. */
  seen: boolean;
  /** Instances or availability differ: updated_at moves. */
  changed: boolean;
}

/** Touches only what discovery owns; enabled, unsafe and the operator's metadata are left alone. */
export function updateDiscoveredModels(rows: DiscoveredModelUpdate[]): SqlStatement {
  return {
    text: `update model m set
        instance_ids = u.instance_ids::jsonb,
        available = u.available,
        last_seen_at = case when u.seen then now() else m.last_seen_at end,
        first_seen_at = case when u.seen then coalesce(m.first_seen_at, now()) else m.first_seen_at end,
        updated_at = case when u.changed then now() else m.updated_at end
      from unnest($1::int[], $2::text[], $3::bool[], $4::bool[], $5::bool[]) as u(id, instance_ids, available, seen, changed)
      where m.id = u.id`,
    values: [
      rows.map((r) => r.id),
      rows.map((r) => JSON.stringify(r.instanceIds)),
      rows.map((r) => r.available),
      rows.map((r) => r.seen),
      rows.map((r) => r.changed),
    ],
  };
}

/** Discovered checkpoints and LoRAs with no base family yet, and where they are. */
export function modelsWithoutFamily(limit: number): SqlStatement {
  return {
    text: `select id, kind, file_name as "fileName", instance_ids as "instanceIds" from model
      where base_family is null and kind in ('checkpoint', 'lora') and available order by id limit $1`,
    values: [limit],
  };
}

/** Sets base families found by discovery; one an operator set meanwhile wins. */
export function setModelFamilies(rows: { id: number; family: string }[]): SqlStatement {
  return {
    text: `update model m set base_family = u.family, updated_at = now()
      from unnest($1::int[], $2::text[]) as u(id, family) where m.id = u.id and m.base_family is null`,
    values: [rows.map((r) => r.id), rows.map((r) => r.family)],
  };
}

/** The operator-editable file-name rules, first match first. */
export function modelFamilyRules(): SqlStatement {
  return { text: `select pattern, family from model_family_rule order by position, id`, values: [] };
}
