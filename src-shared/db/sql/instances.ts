import type { SqlStatement } from '#shared/db/pool.ts';
import { nodeClassesFit } from './template-placement.ts';

export const instanceColumns = `id, name, base_url as "baseUrl", enabled, draining, max_queue_depth as "maxQueueDepth", health,
  last_error as "lastError", last_seen_at as "lastSeenAt", avg_seconds_per_step as "avgSecondsPerStep",
  last_checkpoint as "lastCheckpoint"`;

export interface InstanceRow {
  id: number;
  name: string;
  baseUrl: string;
  enabled: boolean;
  /** Finishes the work it has, takes no new placements. */
  draining: boolean;
  maxQueueDepth: number;
  health: 'unknown' | 'healthy' | 'unhealthy';
  lastError: string | null;
  lastSeenAt: Date | null;
  avgSecondsPerStep: number | null;
  lastCheckpoint: string | null;
}


/** Adds configured URLs that are not in the table yet; never touches rows an operator changed. */
export function seedInstances(urls: string[]): SqlStatement {
  return {
    text: `insert into comfy_instance (name, base_url)
      select 'comfy-' || (row_number() over () + coalesce((select max(id) from comfy_instance), 0)), u
      from unnest($1::text[]) as u
      on conflict do nothing`,
    values: [urls.map((u) => u.replace(/\/+$/, ''))],
  };
}

/** Base URL → proxy Authorization header, for the ComfyUI clients only (kept out of instanceColumns). */
export function instanceAuthorizations(): SqlStatement {
  return {
    text: `select base_url as "baseUrl", proxy_authorization as "proxyAuthorization" from comfy_instance where proxy_authorization is not null`,
    values: [],
  };
}

/** Stores configured proxy Authorization headers on the instances with these base URLs. */
export function setInstanceAuthorizations(byUrl: Record<string, string>): SqlStatement {
  const urls = Object.keys(byUrl);
  return {
    text: `update comfy_instance i set proxy_authorization = u.value, updated_at = now()
      from unnest($1::text[], $2::text[]) as u(url, value)
      where i.base_url = u.url and i.proxy_authorization is distinct from u.value`,
    values: [urls.map((u) => u.replace(/\/+$/, '')), urls.map((u) => byUrl[u]!)],
  };
}

export function listInstances(): SqlStatement {
  return { text: `select ${instanceColumns} from comfy_instance order by id`, values: [] };
}

export function selectInstance(id: number): SqlStatement {
  return { text: `select ${instanceColumns} from comfy_instance where id = $1`, values: [id] };
}

/**
 * Generations submitted to instance `i` (or about to be) by a job that is still active: a dead
 * scheduler's leftovers (job back in `retry`) do not hold slots, or live workers would wait forever
 * for slots only a retry can free. A prompt ComfyUI reported finished (finished_prompt_id names the
 * current prompt) is no longer in ComfyUI's queue: its outputs are being stored, its slot is free.
 */
export const inFlightOfInstance = `(select count(*)::int from generation g
    where g.comfy_instance_id = i.id and g.status in ('running', 'cancel_requested')
      and g.finished_prompt_id is distinct from g.comfy_prompt_id
      -- One job by its primary key (name, id). As a join, a plan made while the job table was small
      -- read every generate job for each running request.
      and (g.generate_job_id is null
        or exists (select 1 from pgboss.job j where j.name = 'generate' and j.id = g.generate_job_id and j.state = 'active')))`;

/**
 * Every enabled instance that is not draining, with its in-flight count and whether it has all the given models.
 * A model with no recorded instances (added by hand) is assumed to be everywhere.
 */
export function placementCandidates(modelFiles: { kind: string; fileName: string }[], workflowVersionId: number | null = null): SqlStatement {
  return {
    text: `with wanted as (
        select m.instance_ids from model m
        join unnest($1::text[], $2::text[]) as w(kind, file_name) on m.kind = w.kind and m.file_name = w.file_name
      )
      select ${instanceColumns},
        ${inFlightOfInstance} as "inFlight",
        not exists (
          select 1 from wanted w where jsonb_array_length(w.instance_ids) > 0 and not w.instance_ids @> to_jsonb(i.id)
        ) and ${nodeClassesFit('$3::int', 'i.id')} as "hasModels"
      from comfy_instance i where i.enabled and not i.draining`,
    values: [modelFiles.map((m) => m.kind), modelFiles.map((m) => m.fileName), workflowVersionId],
  };
}

export function markInstanceHealth(id: number, healthy: boolean, error: string | null): SqlStatement {
  return {
    text: `update comfy_instance set health = $2, last_error = $3, updated_at = now(),
      last_seen_at = case when $2 = 'healthy' then now() else last_seen_at end where id = $1`,
    values: [id, healthy ? 'healthy' : 'unhealthy', error],
  };
}

/**
 * Runs finished on an instance: the checkpoint now warm there (null = unchanged), and the speeds
 * measured since the last write folded into its rolling average (see foldSpeeds; none = it stays).
 */
export function recordInstanceRuns(id: number, checkpoint: string | null, fold: { scale: number; add: number; initial: number } | undefined): SqlStatement {
  return {
    text: `update comfy_instance set last_checkpoint = coalesce($2, last_checkpoint), updated_at = now(),
      avg_seconds_per_step = case when $3::float8 is null then avg_seconds_per_step
        else coalesce(avg_seconds_per_step * $3::float8 + $4::float8, $5::float8) end
      where id = $1`,
    values: [id, checkpoint, fold?.scale ?? null, fold?.add ?? null, fold?.initial ?? null],
  };
}

/** Disables every instance not in `urls` (the demo: a stand-in from an earlier run on another port). */
export function disableInstancesExcept(urls: string[]): SqlStatement {
  return {
    text: `update comfy_instance set enabled = false, updated_at = now() where enabled and not (base_url = any($1::text[]))`,
    values: [urls.map((u) => u.replace(/\/+$/, ''))],
  };
}

/** The node classes an instance's object_info offered at discovery (placement of workflow templates reads them). */
export function setInstanceNodeClasses(id: number, nodeClasses: string[]): SqlStatement {
  return {
    text: `update comfy_instance set node_classes = $2::jsonb where id = $1 and node_classes is distinct from $2::jsonb`,
    values: [id, JSON.stringify(nodeClasses)],
  };
}
