import type { SqlStatement } from '#shared/db/pool.ts';
import { generationColumns } from './generations.ts';
import { modelsFit } from './models-fit.ts';

export interface LineRow {
  id: string;
  /** Waiting requests that will be offered a slot first and compete for the same instances (≤ the cap). */
  ahead: number;
  /** Their sampling steps. */
  aheadSteps: number;
  /** Steps still to run on those instances (running and already sent to ComfyUI). */
  busySteps: number;
  /** Instances up that can run it. */
  instances: number;
  /** Their mean rolling seconds per step; null until one of them has been measured. */
  secondsPerStep: number | null;
  steps: number;
  liveShown: string | null;
}

/**
 * The front of the line: for every instance up, the first `perInstance` waiting generations it
 * could run in fair order (the order the slot claim uses: priority, then age), with each one's
 * place among them. Bounded on purpose: its cost is at most `perInstance` rows per instance
 * (read in the order of generation_queued_order_idx) however long the line is, so recomputing it
 * whenever the line moves does not count the whole line. A generation behind the front of every
 * instance that could run it has at least `perInstance` requests ahead of it and is shown as such.
 * `only` restricts the answer (not the computation) to these generations.
 */
export function lineFront(perInstance: number, only?: string[]): SqlStatement {
  return {
    text: `with up as (
        select id, avg_seconds_per_step as sps from comfy_instance where enabled and not draining and health <> 'unhealthy'),
      -- Instances that lack the same models can run the same requests (modelsFit depends on the
      -- instance only through them): the line is read once per such kind, not once per instance,
      -- and a farm of alike instances reads it once.
      kinds as (
        select min(up.id) as kind, array_agg(up.id) as instances from up
        left join (
          select (e.value)::int as id, array_agg(m.id order by m.id) as has
          from model m cross join jsonb_array_elements(m.instance_ids) e group by 1) h on h.id = up.id
        group by h.has),
      front as (
        select distinct w.id, w.queue_priority, w.created_at, w.steps
        from kinds k cross join lateral (
          select g.id, g.queue_priority, g.created_at, g.steps from generation g
          where g.status = 'queued' and not g.held
            and not exists (select 1 from guild_settings s where s.guild_id = g.guild_id and s.paused)
            and ${modelsFit('g', 'k.kind')}
          order by g.queue_priority desc, g.created_at, g.id
          limit $1) w),
      -- Each front row with the kinds and instances that can run it, made once: the count of who is
      -- ahead below compares rows of this (front² pairs) instead of looking them up for every pair.
      placed as materialized (
        select f.id, f.queue_priority, f.created_at, f.steps, array_agg(distinct k.kind) as kinds, array_agg(i.id) as instances
        from front f join generation g on g.id = f.id join kinds k on ${modelsFit('g', 'k.kind')}
        cross join unnest(k.instances) as i(id)
        group by f.id, f.queue_priority, f.created_at, f.steps),
      busy as (
        select g.comfy_instance_id as id, sum(greatest(0, 1 - g.progress) * g.steps)::float8 as steps from generation g
        where g.status in ('running', 'cancel_requested') and g.comfy_instance_id in (select id from up) group by g.comfy_instance_id)
      select f.id, a.ahead::int, a.ahead_steps::int as "aheadSteps", f.steps,
        (select coalesce(sum(b.steps), 0) from busy b where b.id = any(f.instances))::float8 as "busySteps",
        cardinality(f.instances) as instances,
        (select avg(up.sps) from up where up.id = any(f.instances))::float8 as "secondsPerStep",
        g.live_shown as "liveShown"
      from placed f join generation g on g.id = f.id
      cross join lateral (
        select count(*) as ahead, coalesce(sum(h.steps), 0) as ahead_steps from placed h
        where h.kinds && f.kinds
          and (h.queue_priority > f.queue_priority or (h.queue_priority = f.queue_priority and (h.created_at, h.id) < (f.created_at, f.id)))) a
      ${only ? 'where f.id = any($2::uuid[])' : ''}`,
    values: only ? [perInstance, only] : [perInstance],
  };
}

/**
 * Claims the right to edit a generation's live message now: at most one edit per `gapMs` per
 * message, and none that would show what it already shows. One statement either way: `claimed`
 * says whether the edit may go; when not, what the message shows and how long until the next edit
 * may go (`waitMs`, 0 = now). No row when the generation is gone.
 */
export function claimLiveEdit(id: string, shown: string, gapMs: number): SqlStatement {
  return {
    text: `with claimed as (
        update generation set live_edited_at = now(), live_shown = $2
        where id = $1 and live_shown is distinct from $2
          and (live_edited_at is null or live_edited_at <= now() - make_interval(secs => $3::float8 / 1000))
        returning id)
      select exists (select 1 from claimed) as "claimed", live_shown as "liveShown",
        coalesce(greatest(0, extract(epoch from (live_edited_at + make_interval(secs => $3::float8 / 1000) - now())) * 1000), 0)::float8 as "waitMs"
      from generation where id = $1`,
    values: [id, shown, gapMs],
  };
}

/**
 * claimLiveEdit for several generations (each once) in one statement: a row per generation still
 * there, with its id. A row another transaction holds is not waited for (`busy`: not claimed, to be
 * tried again): this statement locks several rows in no particular order while a slot claim holds
 * one request and waits for the next in line, and waiting here made the two wait for each other
 * until Postgres's deadlock check (a second) ended it, every slot claim of the farm stalled behind.
 */
export function claimLiveEdits(claims: { id: string; shown: string }[], gapMs: number): SqlStatement {
  return {
    text: `with wanted as (select * from jsonb_to_recordset($1::jsonb) as x(id uuid, shown text)),
      free as materialized (select g.id from generation g join wanted w on g.id = w.id for update of g skip locked),
      claimed as (
        update generation g set live_edited_at = now(), live_shown = w.shown
        from wanted w
        where g.id = w.id and g.id in (select id from free) and g.live_shown is distinct from w.shown
          and (g.live_edited_at is null or g.live_edited_at <= now() - make_interval(secs => $2::float8 / 1000))
        returning g.id)
      select g.id, exists (select 1 from claimed c where c.id = g.id) as "claimed", g.live_shown as "liveShown",
        not exists (select 1 from free f where f.id = g.id) as "busy",
        coalesce(greatest(0, extract(epoch from (g.live_edited_at + make_interval(secs => $2::float8 / 1000) - now())) * 1000), 0)::float8 as "waitMs"
      from wanted w join generation g on g.id = w.id`,
    values: [JSON.stringify(claims), gapMs],
  };
}

export interface LiveEditClaim {
  claimed: boolean;
  liveShown: string | null;
  waitMs: number;
  /** Held by another transaction when claimed (claimLiveEdits): not claimed, to be tried again. */
  busy?: boolean;
}

/**
 * Generations as their live edits (and deliveries) need them, in one read: the rows, the place
 * line-update last computed for each, and since when image storage fails (the waiting message says so).
 */
export function selectForLiveEdit(ids: string[]): SqlStatement {
  return {
    text: `select ${generationColumns}, line_place as "linePlace",
        (select failing_since from storage_health where id = 1) as "storageFailingSince"
      from generation where id = any($1::uuid[])`,
    values: [ids],
  };
}

/**
 * Stores the places line-update computed (`{ id, place }`) on the waiting generations, and returns
 * those that have no live edit waiting to run yet (one waiting will read the place stored here),
 * each with how long until its message may be edited again (`waitMs`, see claimLiveEdit). A row
 * another transaction holds (a slot claim taking it, a live edit) is skipped, not waited for (see
 * claimLiveEdits): its place is stored by the next move of the line.
 */
export function saveLinePlaces(places: { id: string; place: unknown }[], gapMs: number): SqlStatement {
  return {
    text: `with free as materialized (
        select g.id from generation g join jsonb_to_recordset($1::jsonb) as x(id uuid) on g.id = x.id
        where g.status = 'queued' for update of g skip locked),
      saved as (
        update generation g set line_place = x.place from jsonb_to_recordset($1::jsonb) as x(id uuid, place jsonb)
        where g.id = x.id and g.id in (select id from free) and g.status = 'queued')
      select g.id,
        coalesce(greatest(0, extract(epoch from (g.live_edited_at + make_interval(secs => $2::float8 / 1000) - now())) * 1000), 0)::float8 as "waitMs"
      from jsonb_to_recordset($1::jsonb) as x(id uuid) join generation g on g.id = x.id
      where g.id in (select id from free) and g.status = 'queued' and not exists (
        select 1 from pgboss.job j where j.name = 'deliver' and j.state = 'created' and j.singleton_key = 'live:' || x.id::text)`,
    values: [JSON.stringify(places), gapMs],
  };
}

/** A failed edit did not show anything: forget what it claimed, so the next attempt edits again. */
export function forgetLiveShown(id: string, shown: string): SqlStatement {
  return { text: `update generation set live_shown = null where id = $1 and live_shown = $2`, values: [id, shown] };
}
