import type { SqlStatement } from '#shared/db/pool.ts';
import { generationColumns, type NewGenerationRow } from './generations.ts';

const recordType = `id uuid, user_id text, guild_id text, channel_id text, application_id text, interaction_id text,
  interaction_token text, interaction_token_expires_at timestamptz, prompt text, negative_prompt text, checkpoint text,
  loras jsonb, vae text, width int, height int, batch_size int, seed numeric, steps int, cfg float8, sampler text,
  scheduler text, denoise float8, workflow_template text, parent_id uuid, charged_at timestamptz, queue_priority int, attachment_size_limit int, init_image_key text, workflow_version_id int`;

const columns = `id, user_id, guild_id, channel_id, application_id, interaction_id, interaction_token, interaction_token_expires_at,
  prompt, negative_prompt, checkpoint, loras, vae, width, height, batch_size, seed, steps, cfg, sampler, scheduler, denoise,
  workflow_template, parent_id, charged_at, queue_priority, attachment_size_limit, init_image_key, workflow_version_id`;

/**
 * The enqueue's last statement: many generation rows (seeds travel as strings, never as JS numbers),
 * and as many requests added to shard `shard` of the limiter's waiting counter, in one round trip. Taking the shard lock here, last in
 * the transaction, keeps the limiter's lock order (usage rows, then a shard) and holds it only until
 * COMMIT. Fixed text for any number of rows, so it is prepared once per connection.
 */
export function insertJoinedGenerations(rows: NewGenerationRow[], shard: number): SqlStatement {
  return {
    text: `with g as (
        insert into generation (${columns}) select ${columns} from jsonb_to_recordset($1::jsonb) as x(${recordType})
        returning ${generationColumns}
      ),
      joined as (
        insert into queue_waiting (shard, waiting) select $2::smallint, count(*)::int from g
        on conflict (shard) do update set waiting = queue_waiting.waiting + excluded.waiting
      )
      select * from g`,
    values: [recordsOf(rows), shard],
    name: 'generation.insert-joined',
  };
}

function recordsOf(rows: NewGenerationRow[]): string {
  const records = rows.map((g) => ({
    id: g.id, user_id: g.userId, guild_id: g.guildId, channel_id: g.channelId, application_id: g.applicationId,
    interaction_id: g.interactionId, interaction_token: g.interactionToken, interaction_token_expires_at: g.interactionTokenExpiresAt,
    prompt: g.prompt, negative_prompt: g.negativePrompt, checkpoint: g.checkpoint, loras: g.loras, vae: g.vae, width: g.width,
    height: g.height, batch_size: g.batchSize, seed: g.seed, steps: g.steps, cfg: g.cfg, sampler: g.sampler, scheduler: g.scheduler,
    denoise: g.denoise, workflow_template: g.workflowTemplate, parent_id: g.parentId, charged_at: g.chargedAt ?? null, queue_priority: g.queuePriority ?? 0,
    attachment_size_limit: g.attachmentSizeLimit ?? null, init_image_key: g.initImageKey ?? null,
    workflow_version_id: g.workflowVersionId ?? null,
  }));
  return JSON.stringify(records);
}
