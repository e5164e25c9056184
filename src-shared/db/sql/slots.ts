import type { SqlStatement } from '#shared/db/pool.ts';
import { generationColumns } from './generations.ts';
import { inFlightOfInstance } from './instances.ts';
import { modelsFit } from './models-fit.ts';
import { nodeClassesFit } from './template-placement.ts';
import { storageWritable } from './storage-health.ts';
import { cancelSignalPrefix, slotsChannel } from '#shared/queue/wake.ts';

/** An instance that may take new work: enabled, not draining, not unhealthy, and image storage writable. */
const isUp = (i: string) => `${i}.enabled and not ${i}.draining and ${i}.health <> 'unhealthy' and ${storageWritable}`;

/**
 * Keep-ahead (a next prompt waiting in a busy instance's ComfyUI queue, so its GPU never waits for
 * us) only while more requests wait than there are instances taking work: then every GPU has work
 * ahead of it anyway. With fewer waiting, a prompt queued behind a long one on a busy GPU can sit
 * there while another GPU idles (the GPU-farm bench lost ~0.4 s of GPU per generation so, against
 * ~30 ms for a hand-off at depth 1), so it stays in our line until a GPU frees. Bounded: reads at
 * most instances + 1 waiting rows, never the whole line.
 */
const upInstances = `(select count(*) from comfy_instance c where ${isUp('c')})`;
const keepAheadWorthIt = `(select count(*) from (select 1 from generation w where w.status = 'queued' and not w.held limit ${upInstances} + 1) x) > ${upInstances}`;

/** An instance row `u` (in_flight, max_queue_depth) that may take one more prompt now. */
const hasFreeSlot = `u.in_flight < u.max_queue_depth and (u.in_flight = 0 or ${keepAheadWorthIt})`;

/**
 * SQL true when generation `g` can run on instance `instance`: every model it names is on that
 * instance or has no recorded instances (assumed everywhere), and the instance has every node of
 * its uploaded workflow. The rule of placementCandidates' hasModels.
 */
function runsOn(g: string, instance: string): string {
  return `${modelsFit(g, instance)} and ${nodeClassesFit(`${g}.workflow_version_id`, instance)}`;
}

/** The waiting generations a slot may go to, in fair order (priority, then age). */
const waitingInFairOrder = `g.status = 'queued' and not g.held
        -- A paused guild's work waits (its own job then holds it, see holdIfPaused).
        and not exists (select 1 from guild_settings s where s.guild_id = g.guild_id and s.paused)`;

/**
 * The CTEs that find, for the instances of CTE `free` (id, in_flight, max_queue_depth; those with a
 * free slot), the front of the line each can run: the line read per checkpoint
 * (generation_queued_checkpoint_idx; the distinct checkpoints by a skip scan), only for checkpoints a
 * free instance has. O(checkpoints waiting), not O(line): requests for a checkpoint no free instance
 * has, however many, are never walked past (those whose LoRA, VAE or workflow nodes do not fit are,
 * within their checkpoint's line). Ends with CTE `fronts` (id, queue_priority, created_at).
 */
const frontsOf = (free: string) => `checkpoints as (
        (select checkpoint from generation where status = 'queued' and not held order by checkpoint limit 1)
        union all
        select (select g.checkpoint from generation g where g.status = 'queued' and not g.held and g.checkpoint > c.checkpoint
          order by g.checkpoint limit 1)
        from checkpoints c where c.checkpoint is not null),
      runnable as materialized (
        select c.checkpoint from checkpoints c
        where c.checkpoint is not null and not exists (
          select 1 from model m where m.kind = 'checkpoint' and m.file_name = c.checkpoint and jsonb_array_length(m.instance_ids) > 0
            and not exists (select 1 from ${free} f where m.instance_ids @> to_jsonb(f.id)))),
      fronts as materialized (
        select w.* from runnable c cross join lateral (
          select g.id, g.queue_priority, g.created_at from generation g
          -- A range, not =, ordered by checkpoint first: only generation_queued_checkpoint_idx gives
          -- this order, so the planner cannot pick the whole line's index and filter it.
          where g.checkpoint >= c.checkpoint and g.checkpoint <= c.checkpoint and ${waitingInFairOrder}
            and exists (select 1 from ${free} f where ${runsOn('g', 'f.id')})
          order by g.checkpoint, g.queue_priority desc, g.created_at, g.id
          -- One more than there can be concurrent claimers (each holds one instance's lock, and each
          -- row-locks one request): the rows other claims take meanwhile (passed over after waiting for them) can never hide the next in line.
          limit (select count(*) + 1 from comfy_instance)) w)`;

/**
 * Generation `g` is one of the CTE `fronts`, found by primary key: as a join, the claim function's
 * generic plan (its estimate of `fronts` is a guess) hashed the whole line, 50 000 rows read for one
 * claim (~40 ms) when that many waited that no instance could run.
 */
const frontRow = (g: string) => `${g}.id = any(array(select id from fronts))`;

/**
 * Step 1 of a claim: row-locks ONE instance with a free slot, the one the most deserving waiting
 * request would go to (one that can run it, least loaded, then the one that last ran its checkpoint,
 * then id); instances another claimer holds are skipped (`skip locked`), as are `tried` ones, so
 * claims never wait for each other and each holds one row, not the farm. The counts here come from
 * the statement's snapshot, which may predate a claim committed by the previous holder of the
 * lock: `claimOnSql`, a later statement, counts again under the lock. No row when nothing waits.
 * `free`: how many instances looked free (more than 0 with no id: all of them were being claimed);
 * `more_waiting`: more than one request waits that a free instance can run.
 * `tried`: an int[] expression (a parameter, or a variable of the claim function, claim-slot.ts).
 */
export function lockFreeInstanceSql(tried: string): string {
  return `with recursive free as materialized (
        select * from (select i.id, i.last_checkpoint, i.max_queue_depth, ${inFlightOfInstance} as in_flight
          from comfy_instance i where ${isUp('i')} and not (i.id = any(${tried}))
          -- offset 0: in_flight counted once per instance (pulled up, it is counted for each use below).
          offset 0) u
        where ${hasFreeSlot}),
      ${frontsOf('free')},
      best as (
        select g.id, g.checkpoint, g.vae, g.loras, g.workflow_version_id from generation g
        where ${frontRow('g')} and ${waitingInFairOrder}
        order by g.queue_priority desc, g.created_at, g.id
        limit 1)
      select (select i.id from comfy_instance i join free f on f.id = i.id cross join best b
          where ${isUp('i')}
          order by ${runsOn('b', 'i.id')} desc, f.in_flight, f.last_checkpoint is not distinct from b.checkpoint desc, i.id
          limit 1 for update of i skip locked) as id,
        (select count(*)::int from free where exists (select 1 from best)) as free,
        (select count(*) > 1 from fronts) as more_waiting`;
}

/** Step 1 of a claim on its own (lockFreeInstanceSql), for a transaction of the caller's. */
export function lockFreeInstance(tried: number[]): SqlStatement {
  return { text: lockFreeInstanceSql('$1::int[]'), values: [tried], name: 'slots.lock-free-instance' };
}

/**
 * Step 2 of a claim, with instance `instanceId` (an int expression) row-locked by this transaction
 * (lockFreeInstanceSql): counts its in-flight work again, in a snapshot taken after the lock, so it
 * includes every claim committed by whoever held the lock before (depth limits and exactly-once rest
 * on this), and when a slot is free picks the most deserving waiting generation (fair priority, then
 * age) that this instance can run, row-locked (waiting for another writer's lock on it). Columns
 * `waiting_id` and `room` (a slot of this instance stays free after this claim and more waiting work
 * fits it); no row: the instance is full, no longer up, or nothing waiting fits it.
 */
export function claimOnSql(instanceId: string): string {
  return `with recursive free as materialized (
        select * from (select i.id, i.max_queue_depth, ${inFlightOfInstance} as in_flight
          from comfy_instance i where i.id = ${instanceId} and ${isUp('i')}
          -- offset 0: in_flight counted once per instance (pulled up, it is counted for each use below).
          offset 0) u
        where ${hasFreeSlot}),
      ${frontsOf('free')},
      next as (
        select g.id as waiting_id from generation g
        where ${frontRow('g')} and ${waitingInFairOrder}
        order by g.queue_priority desc, g.created_at, g.id
        limit 1
        -- Not skip locked: a queued row is also locked briefly by writers that are not claims (the
        -- line's places, live edits, a pause's hold), and skipping it would hand the slot to whoever
        -- comes next in line: unfair. Waiting is short (those writers commit at once, and none of
        -- them waits on an instance), and a row another claim took fails the recheck after the wait,
        -- so the next in line is locked instead.
        for update of g)
      select n.waiting_id,
        -- Room left on this instance after this claim, and more waiting that it can run: another
        -- waiter may claim here too (the claim function's "more").
        (select f.in_flight + 1 < f.max_queue_depth from free f) and (select count(*) from fronts) > 1 as room
      from next n`;
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

/**
 * Wakes every waiting generate worker of every scheduler (SlotSignal's 'wake-all'), sent with a
 * waiting request's cancel: the trigger's own signal wakes ONE waiter, which may be another job's,
 * while the job of the cancelled request must see it and end. Rare, so waking all costs little.
 */
export function wakeEveryWaiter(): SqlStatement {
  return { text: `select pg_notify('${slotsChannel}', 'wake-all')`, values: [] };
}

/**
 * Tells the scheduler running generation `id` that a cancel was asked for (SlotSignal's 'cancel:'
 * signals), sent with the change: its watch passes it on to ComfyUI at once instead of at its next check.
 */
export function announceCancelRequested(id: string): SqlStatement {
  return { text: `select pg_notify('${slotsChannel}', '${cancelSignalPrefix}' || $1::text)`, values: [id] };
}
