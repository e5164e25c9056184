import type { SqlStatement } from '#shared/db/pool.ts';
import { generationColumns } from './generations.ts';
import { inFlightOfInstance, instanceColumns, type InstanceRow } from './instances.ts';
import { nodeClassesFit } from './template-placement.ts';
import { storageWritable } from './storage-health.ts';

/**
 * Row-locks the enabled, not-unhealthy instances for a claiming transaction, in id order; none while
 * image storage fails (new GPU work would only pile up finished-but-unstorable outputs). With
 * `skipLocked`, instances another scheduler is assigning right now are left out, so claims on
 * different instances never wait for each other (no global lock).
 */
export function lockUpInstances(skipLocked: boolean): SqlStatement {
  return {
    text: `select id from comfy_instance where enabled and not draining and health <> 'unhealthy' and ${storageWritable}
      order by id for update${skipLocked ? ' skip locked' : ''}`,
    values: [],
    name: skipLocked ? 'slots.lock-up-skip' : 'slots.lock-up',
  };
}

/** How many instances could take work at all (to tell "all busy" from "all being claimed by others"). */
export function countUpInstances(): SqlStatement {
  return { text: `select count(*)::int as n from comfy_instance where enabled and not draining and health <> 'unhealthy' and ${storageWritable}`, values: [], name: 'slots.count-up' };
}

/**
 * SQL true when generation `g` can run on instance `instance`: every model it names is on that
 * instance or has no recorded instances (assumed everywhere), and the instance has every node of
 * its uploaded workflow. The rule of placementCandidates' hasModels.
 */
function runsOn(g: string, instance: string): string {
  return `not exists (
      select 1 from model m
      where jsonb_array_length(m.instance_ids) > 0 and not m.instance_ids @> to_jsonb(${instance})
        and ((m.kind = 'checkpoint' and m.file_name = ${g}.checkpoint)
          or (m.kind = 'vae' and m.file_name = ${g}.vae)
          or (m.kind = 'lora' and m.file_name in (select l->>'name' from jsonb_array_elements(${g}.loras) l))))
    and ${nodeClassesFit(`${g}.workflow_version_id`, instance)}`;
}

/** The waiting generations a slot may go to, in fair order (priority, then age). */
const waitingInFairOrder = `g.status = 'queued' and not g.held
        -- A paused guild's work waits (its own job then holds it, see holdIfPaused).
        and not exists (select 1 from guild_settings s where s.guild_id = g.guild_id and s.paused)`;

export interface SlotOffer extends InstanceRow {
  inFlight: number;
  /** The most deserving waiting generation one of the free instances can run (the same on every row), or null. */
  waitingId: string | null;
  waitingCheckpoint: string | null;
  /** Whether this instance can run it. */
  hasModels: boolean;
}

/**
 * One round trip of a claim, run right AFTER the instances were locked (so the counts include every
 * claim committed by whoever held the locks before us): each locked instance with its in-flight
 * count, and the most deserving waiting generation (fair priority, then age) that one of the free
 * ones can run, row-locked (one another scheduler is claiming is skipped), with on each row whether
 * that instance can run it. The generation's full row comes back from the claiming update.
 *
 * O(checkpoints waiting), not O(line): the line is read per checkpoint (generation_queued_checkpoint_idx;
 * the distinct checkpoints by a skip scan), only for checkpoints a free instance has, the front of
 * each that a free instance can run, and the best of those fronts. Requests for a checkpoint no free
 * instance has, however many, are never walked past (those whose LoRA, VAE or workflow nodes do not
 * fit are, within their checkpoint's line).
 */
export function slotOffers(lockedIds: number[]): SqlStatement {
  return {
    text: `with recursive up as (
        select i.*, ${inFlightOfInstance} as in_flight from comfy_instance i where i.id = any($1::int[])),
      checkpoints as (
        (select checkpoint from generation where status = 'queued' and not held order by checkpoint limit 1)
        union all
        select (select g.checkpoint from generation g where g.status = 'queued' and not g.held and g.checkpoint > c.checkpoint
          order by g.checkpoint limit 1)
        from checkpoints c where c.checkpoint is not null),
      -- The checkpoints a free instance has (or that are assumed everywhere): a line of requests for
      -- a checkpoint only busy or absent servers have is never walked.
      runnable as materialized (
        select c.checkpoint from checkpoints c
        where c.checkpoint is not null and not exists (
          select 1 from model m where m.kind = 'checkpoint' and m.file_name = c.checkpoint and jsonb_array_length(m.instance_ids) > 0
            and not exists (select 1 from up f where f.in_flight < f.max_queue_depth and m.instance_ids @> to_jsonb(f.id)))),
      fronts as materialized (
        select w.* from runnable c cross join lateral (
          select g.id, g.queue_priority, g.created_at from generation g
          -- A range, not =, ordered by checkpoint first: only generation_queued_checkpoint_idx gives
          -- this order, so the planner cannot pick the whole line's index and filter it.
          where g.checkpoint >= c.checkpoint and g.checkpoint <= c.checkpoint and ${waitingInFairOrder}
            and exists (select 1 from up f where f.in_flight < f.max_queue_depth and ${runsOn('g', 'f.id')})
          order by g.checkpoint, g.queue_priority desc, g.created_at, g.id
          -- One more than there can be concurrent claimers (each holds at least one instance's lock,
          -- and each row-locks one request): the rows others skip-lock can never hide the next in line.
          limit (select count(*) + 1 from comfy_instance)) w),
      next as (
        select g.id as waiting_id, g.checkpoint, g.vae, g.loras, g.workflow_version_id from fronts w join generation g on g.id = w.id
        where ${waitingInFairOrder}
        order by w.queue_priority desc, w.created_at, w.id
        limit 1
        for update of g skip locked)
      select ${instanceColumns}, in_flight as "inFlight", waiting_id as "waitingId", n.checkpoint as "waitingCheckpoint",
        coalesce(${runsOn('n', 'i.id')}, false) as "hasModels"
      from up i left join next n on true order by i.id`,
    values: [lockedIds],
    name: 'slots.offers',
  };
}

/** A generation this job placed and has not finished (a previous attempt of the job crashed). */
export function generationPlacedBy(jobId: string): SqlStatement {
  return {
    text: `select ${generationColumns} from generation
      where generate_job_id = $1 and status in ('running', 'cancel_requested') and comfy_prompt_id is not null
      order by started_at limit 1`,
    values: [jobId],
  };
}

/**
 * Hands a placed generation to `jobId` when the job that placed it is no longer active (its
 * scheduler died and the job waits for its retry, or ran out of them). Returns a row when taken.
 */
export function takeOverGeneration(id: string, jobId: string): SqlStatement {
  return {
    text: `update generation g set generate_job_id = $2, updated_at = now()
      where g.id = $1 and g.status in ('running', 'cancel_requested') and g.comfy_prompt_id is not null
        and g.generate_job_id is distinct from $2
        and not exists (select 1 from pgboss.job j where j.name = 'generate' and j.id = g.generate_job_id and j.state = 'active')
      returning g.id`,
    values: [id, jobId],
  };
}

/** Whether a generation is placed and its placing job is still active (someone is working on it). */
export function placedByActiveJob(id: string): SqlStatement {
  return {
    text: `select exists (
        select 1 from generation g join pgboss.job j on j.name = 'generate' and j.id = g.generate_job_id
        where g.id = $1 and g.status in ('running', 'cancel_requested') and j.state = 'active') as "placed"`,
    values: [id],
  };
}
