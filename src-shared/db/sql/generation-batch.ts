import { createHash } from 'node:crypto';
import type { SqlStatement } from '#shared/db/pool.ts';
import { consumeManyCtes } from '#shared/limits/sql.ts';
import { newWorkNotify } from '#shared/queue/wake.ts';
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

/** A request of enqueueStatement: its row, and its job's id and data. */
export interface JoiningGeneration {
  row: NewGenerationRow;
  jobId: string;
  jobData: object;
}

/** What enqueueStatement returns per request, in order: the limiter's answer, and the row when admitted (its columns null otherwise). */
export type EnqueueStatementRow = { _admitted: boolean; _activeBefore: number | null; _waiting: number; _now: Date; _jobsMatch: number; _announced?: number } & Record<string, unknown>;

/**
 * The whole enqueue in one statement, so in one round trip and its own transaction: the limiter's
 * check-and-consume (consumeManyCtes, parameters $1–$8 from Limiter.planConsume, one user at most
 * once), then only for the admitted requests their pg-boss jobs (`jobInsert`: pg-boss's own insert,
 * jobInsertSql, its $1 fed from the admitted), their rows, and the waiting counter's shard
 * `shard`. `requests[k]` is the k-th consume row. Every part commits together or none does. Locks
 * are taken in the transactional path's order: usage rows (the consume, which every other part
 * reads), then the shard (a CTE nothing reads runs last, after the main query). A job the insert
 * skipped (its ON CONFLICT; ids are random, so never expected) makes the statement fail with a
 * division by zero, as pg-boss's own flow insert guards it, rather than leave a row without its job.
 * Each user is there once, so a row is matched to its request by user id (narrower than by `ord`).
 */
export function enqueueStatement(jobInsert: string, consumeValues: unknown[], requests: JoiningGeneration[], shard: number, announce: boolean): SqlStatement {
  const key = `${announce}:${jobInsert}`;
  let statement = enqueueStatements.get(key);
  if (!statement) enqueueStatements.set(key, (statement = enqueueStatementText(jobInsert, announce)));
  const records = recordsOf(requests.map((r) => r.row), (k) => ({ ord: k + 1, job_id: requests[k]!.jobId, job_data: requests[k]!.jobData }));
  return { ...statement, values: [...consumeValues, records, shard] };
}

/** Built once per pg-boss statement (one per queue), prepared once per connection under its name. */
const enqueueStatements = new Map<string, { text: string; name: string }>();

function enqueueStatementText(jobInsert: string, announce: boolean): { text: string; name: string } {
  const fromAdmission: Record<string, string> = { charged_at: 'c.t', queue_priority: '1 - t.active' };
  const readyColumns = columns.split(',').map((c) => c.trim()).map((c) => fromAdmission[c] ? `${fromAdmission[c]} as ${c}` : `x.${c}`).join(', ');
  const jobs = `(select coalesce(json_agg(json_build_object('id', job_id, 'data', job_data, 'priority', queue_priority)), '[]') from ready)`;
  const text = `with ${consumeManyCtes()},
      ready as (
        select x.ord, x.job_id, x.job_data, ${readyColumns}
        from jsonb_to_recordset($9::jsonb) as x(${recordType}, ord int, job_id uuid, job_data jsonb)
        join req r on r.ord = x.ord join taken t on t.user_id = r.user_id cross join c
      ),
      job as (${jobInsert.replace('$1', () => jobs)}),
      g as (
        insert into generation (${columns}) select ${columns} from ready
        returning ${generationColumns}
      ),
      joined as (
        insert into queue_waiting (shard, waiting) select $10::smallint, count(*)::int from g
        on conflict (shard) do update set waiting = queue_waiting.waiting + excluded.waiting
      )
      select t.user_id is not null as "_admitted", t.active - 1 as "_activeBefore", c.waiting as "_waiting", c.t as "_now",
        1 / ((select count(*) from job) = (select count(*) from g))::int as "_jobsMatch",${announce ? `
        -- New work announced at the commit, to the schedulers' slot channel (wakeGenerate's NOTIFY).
        (select count(*) from (select ${newWorkNotify} from (select 1 from g limit 1) one) n) as "_announced",` : ''} g.*
      from req r cross join c left join taken t on t.user_id = r.user_id left join g on g."userId" = r.user_id
      order by r.ord`;
  return { text, name: `generation.enqueue-${announce ? 'a' : 'q'}-${createHash('sha1').update(jobInsert).digest('hex').slice(0, 12)}` };
}

function recordsOf(rows: NewGenerationRow[], extra: (index: number) => object = () => ({})): string {
  const records = rows.map((g, i) => ({
    ...extra(i),
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
