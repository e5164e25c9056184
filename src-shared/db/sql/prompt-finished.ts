import type { SqlStatement } from '#shared/db/pool.ts';

/**
 * ComfyUI reported this generation's current prompt finished: it no longer holds a slot on its
 * instance (inFlightOfInstance) while its outputs are stored. The trigger generation_slot_freed
 * announces the freed slot. Only while it is still placed with that prompt id.
 */
export function markPromptFinished(id: string, promptId: string): SqlStatement {
  return {
    text: `update generation set finished_prompt_id = comfy_prompt_id
      where id = $1 and comfy_prompt_id = $2 and status in ('running', 'cancel_requested')
        and finished_prompt_id is distinct from comfy_prompt_id`,
    values: [id, promptId],
    name: 'generation.prompt-finished',
  };
}

/** Whether ComfyUI had reported the generation's current prompt finished (its slot was given up then). */
export function promptFinishedBefore(id: string): SqlStatement {
  return {
    text: `select coalesce(finished_prompt_id = comfy_prompt_id, false) as "finished" from generation where id = $1`,
    values: [id],
  };
}
