import { createHash } from 'node:crypto';
import type { SqlStatement } from '#shared/db/pool.ts';
import { generationColumns } from './generations.ts';
import { instanceColumns } from './instances.ts';
import { markPromptFinishedSql, quietFinishSetting } from './prompt-finished.ts';
import { claimOnSql, lockFreeInstanceSql } from './slots.ts';

/*
 * A whole claim attempt in ONE round trip: a plpgsql function runs its steps (slots.ts) server-side.
 *
 * Why a function and not one statement: the claim must count an instance's work again AFTER locking
 * it (the previous holder of the lock may have committed a claim since), and one statement has one
 * snapshot, taken before any of its locks. In plpgsql under READ COMMITTED, a VOLATILE function
 * takes a fresh snapshot for each statement it runs ("VOLATILE functions obtain a fresh snapshot at
 * the start of each query they execute", PostgreSQL docs, "Function Volatility Categories"), so
 * claimOnSql, run after lockFreeInstanceSql, sees every claim committed before the lock: the same
 * guarantee as the former transaction of separate statements.
 *
 * Why not defined in a migration: a migration freezes the SQL text, and the fragments it is built
 * from (frontsOf, runsOn, inFlightOfInstance, modelsFit...) would drift from it. The function is
 * built from those fragments at run time instead, and named after a hash of its text: each version
 * of the code calls (and, when missing, creates) its own function, so schedulers of two versions
 * side by side (a rolling deploy) never replace each other's, and nothing needs a startup step.
 * Functions of older versions stay behind, unused. The rows come back as text (each row type's
 * text form, read back exactly by the calling statement's cast): a function whose signature named
 * the tables' row types would depend on them, and a migration dropping those tables would fail.
 */

const body = `(p_job uuid, p_prompt uuid, p_tries int, p_shard int, p_finished uuid, p_finished_prompt uuid, p_own uuid)
  -- claim_generation: the claimed generation; when nothing was claimed, the caller's own (p_own) as
  -- it is now, which the caller would otherwise read next to decide whether to wait or end.
  returns table (claim_outcome text, claim_more boolean, claim_generation text, claim_instance text)
  language plpgsql volatile
  -- The steps' plans are cached per connection; left to choose, Postgres plans them afresh for each
  -- of a connection's first five calls (custom plans: 15-100 ms of planning on a busy machine, most
  -- of a hand-off's time) before settling on the generic one (3-8 ms). Their parameters are ids and
  -- arrays of ids, which no custom plan is better for.
  set plan_cache_mode = force_generic_plan
  as $claim$
declare
  v_tried int[] := '{}';
  v_locked int;
  v_free int;
  v_more_waiting boolean;
  v_waiting uuid;
  v_room boolean;
  v_marked boolean := false;
  v_claimed generation;
begin
  -- The caller's own prompt finished on ComfyUI: its slot is given up here, in the claim's own
  -- transaction, so this claim sees it (its own write) and nobody else is woken for it: the
  -- trigger's announcement is held back, and sent below only when this claim takes no slot.
  if p_finished is not null then
    perform set_config('${quietFinishSetting}', 'on', true);
    ${markPromptFinishedSql('p_finished', 'p_finished_prompt')};
    v_marked := found;
    perform set_config('${quietFinishSetting}', '', true);
  end if;
  while cardinality(v_tried) < p_tries loop
    ${lockFreeInstanceSql('v_tried')}
      into v_locked, v_free, v_more_waiting;
    if v_locked is null then
      if v_marked then perform pg_notify('genonaut_slots', ''); end if;
      return query select case when cardinality(v_tried) = 0 and v_free > 0 then 'contended' else 'none' end, false,
        (select g::text from generation g where g.id = p_own), null;
      return;
    end if;
    ${claimOnSql('v_locked')}
      into v_waiting, v_room;
    if v_waiting is null then
      v_tried := v_tried || v_locked;
      continue;
    end if;
    -- What GenerationRepository.transition(queued -> running) does: the status change, with the
    -- prompt id stored in the same commit (a crash can always resume from it)...
    update generation set status = 'running', progress = 0, comfy_instance_id = v_locked, comfy_prompt_id = p_prompt,
        generate_job_id = p_job, attempts = attempts + 1, started_at = coalesce(started_at, now()), updated_at = now()
      where id = v_waiting and status = 'queued'
      returning * into v_claimed;
    if v_claimed.id is null then
      raise exception 'claim: generation % was locked as queued and is not', v_waiting;
    end if;
    -- ...and countStatusChange's (transitionEffects): a counted request leaves the line (addWaiting).
    if v_claimed.charged_at is not null then
      insert into queue_waiting (shard, waiting) values (p_shard, -1)
        on conflict (shard) do update set waiting = queue_waiting.waiting + excluded.waiting;
    end if;
    -- more: another slot may still be free with work for it (another instance was free when this
    -- claim looked and more than this request waited, or this one has room left and more fits it).
    return query select 'claimed', (v_free > 1 and v_more_waiting) or coalesce(v_room, false), v_claimed::text, i::text from comfy_instance i where i.id = v_locked;
    return;
  end loop;
  if v_marked then perform pg_notify('genonaut_slots', ''); end if;
  return query select 'none', false, (select g::text from generation g where g.id = p_own), null;
end
$claim$`;

/** The claim function of this version of the code: `genonaut_claim_slot_` and a hash of its text. */
export const claimSlotFunction = `genonaut_claim_slot_${createHash('sha256').update(body).digest('hex').slice(0, 16)}`;

/**
 * Creates this version's claim function (idempotent), under a transaction-scoped advisory lock:
 * concurrent CREATE OR REPLACE of one function fails ("tuple concurrently updated"). Run both in one
 * transaction.
 */
export function installClaimSlot(): SqlStatement[] {
  return [
    { text: `select pg_advisory_xact_lock(hashtext('genonaut.claim-slot'))`, values: [] },
    { text: `create or replace function ${claimSlotFunction}${body}`, values: [] },
  ];
}

/** Separates the generation's columns from the instance's in claimSlot's (array-mode) rows. */
export const claimSlotSeparator = '--instance--';

/**
 * One claim attempt (see claimNextWaiting): `outcome` 'claimed', 'contended' (every free instance
 * was being claimed by someone else) or 'none'; `more` (claimed: another slot may still be free with
 * waiting work), then the claimed generation's columns (generationColumns), `claimSlotSeparator`,
 * and its instance's (instanceColumns). Both rows come from the function: this statement's own
 * snapshot predates the claim. `finished`: the caller's generation whose current prompt ComfyUI
 * reported finished (markPromptFinished), marked in the same transaction. `own`: a generation whose
 * row comes back, as it is after the claim, in the generation's columns when nothing was claimed. Fails with
 * undefined_function (42883) until installClaimSlot ran in this database.
 */
export function claimSlot(jobId: string, promptId: string, tries: number, shard: number, finished?: { id: string; promptId: string }, own?: string): SqlStatement {
  return {
    text: `select c.claim_outcome as outcome, c.claim_more as more, g.*, null as "${claimSlotSeparator}", i.*
      from ${claimSlotFunction}($1, $2, $3, $4, $5, $6, $7) c
      cross join lateral (select ${generationColumns} from (select (c.claim_generation::generation).*) generation) g
      cross join lateral (select ${instanceColumns} from (select (c.claim_instance::comfy_instance).*) instance) i`,
    values: [jobId, promptId, tries, shard, finished?.id ?? null, finished?.promptId ?? null, own ?? null],
    name: `slots.claim-slot`,
  };
}
