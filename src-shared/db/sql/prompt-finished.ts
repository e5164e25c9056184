import type { SqlStatement } from '#shared/db/pool.ts';

/**
 * ComfyUI reported this generation's current prompt finished: it no longer holds a slot on its
 * instance (inFlightOfInstance) while its outputs are stored. The trigger generation_slot_freed
 * announces the freed slot. Only while it is still placed with that prompt id.
 */
export function markPromptFinished(id: string, promptId: string): SqlStatement {
  return { text: markPromptFinishedSql('$1', '$2'), values: [id, promptId], name: 'generation.prompt-finished' };
}

/**
 * markPromptFinished's update, for generation `id` and prompt `promptId` (uuid expressions); the
 * claim function (claim-slot.ts) runs it too, with the trigger's announcement held back (see there).
 */
export function markPromptFinishedSql(id: string, promptId: string): string {
  return `update generation set finished_prompt_id = comfy_prompt_id
      where id = ${id} and comfy_prompt_id = ${promptId} and status in ('running', 'cancel_requested')
        and finished_prompt_id is distinct from comfy_prompt_id`;
}

/**
 * The setting that, while 'on' in a transaction, keeps the trigger generation_slot_freed from
 * announcing a finished mark (migration quiet_claimed_finish): set only by the claim function.
 */
export const quietFinishSetting = 'genonaut.quiet_finish';

/** Whether ComfyUI had reported the generation's current prompt finished (its slot was given up then). */
export function promptFinishedBefore(id: string): SqlStatement {
  return {
    text: `select coalesce(finished_prompt_id = comfy_prompt_id, false) as "finished" from generation where id = $1`,
    values: [id],
  };
}
