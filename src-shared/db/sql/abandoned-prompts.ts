import type { SqlStatement } from '#shared/db/pool.ts';

export function recordAbandonedPrompt(instanceId: number, promptId: string, generationId: string): SqlStatement {
  return {
    text: `insert into abandoned_prompt (instance_id, prompt_id, generation_id) values ($1, $2, $3) on conflict do nothing`,
    values: [instanceId, promptId, generationId],
  };
}

export function abandonedPromptsOf(instanceId: number): SqlStatement {
  return { text: `select prompt_id as "promptId" from abandoned_prompt where instance_id = $1 order by abandoned_at`, values: [instanceId] };
}

export function forgetAbandonedPrompt(instanceId: number, promptId: string): SqlStatement {
  return { text: `delete from abandoned_prompt where instance_id = $1 and prompt_id = $2`, values: [instanceId, promptId] };
}
