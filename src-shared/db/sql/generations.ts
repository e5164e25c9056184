import { createHash } from 'node:crypto';
import type { SqlStatement } from '#shared/db/pool.ts';
import type { GenerationStatus } from '#shared/generation/status.ts';
import type { KeysetCursor } from '#shared/db/keyset.ts';
import { bossSchema } from '#shared/queue/boss.ts';
import { jobCtes, type EmbeddableJobInsert } from '#shared/queue/job-insert-sql.ts';

/** Columns as camelCase, seed and timestamps as Postgres returns them (seed: string). */
export const generationColumns = `
  id, user_id as "userId", guild_id as "guildId", channel_id as "channelId", message_id as "messageId",
  application_id as "applicationId", interaction_id as "interactionId", interaction_token as "interactionToken",
  interaction_token_expires_at as "interactionTokenExpiresAt",
  attachment_size_limit as "attachmentSizeLimit", prompt, negative_prompt as "negativePrompt",
  checkpoint, loras, vae, width, height, batch_size as "batchSize", seed::text as seed, steps, cfg, sampler, scheduler,
  denoise, workflow_template as "workflowTemplate", init_image_key as "initImageKey", workflow_version_id as "workflowVersionId", status, progress, comfy_instance_id as "comfyInstanceId",
  comfy_prompt_id as "comfyPromptId", generate_job_id as "generateJobId", error_code as "errorCode", error_message as "errorMessage", attempts, outputs,
  parent_id as "parentId", charged_at as "chargedAt", created_at as "createdAt", started_at as "startedAt", finished_at as "finishedAt",
  delivered_at as "deliveredAt", deleted_at as "deletedAt", updated_at as "updatedAt"`;

export interface NewGenerationRow {
  id: string;
  userId: string;
  guildId: string | null;
  channelId: string;
  applicationId: string;
  interactionId: string | null;
  interactionToken: string | null;
  interactionTokenExpiresAt: Date | null;
  /** The upload cap Discord stated on the interaction (bytes); absent = not stated, Discord's default applies. */
  attachmentSizeLimit?: number | null;
  prompt: string;
  negativePrompt: string;
  checkpoint: string;
  loras: unknown[];
  vae: string | null;
  width: number;
  height: number;
  batchSize: number;
  seed: string;
  steps: number;
  cfg: number;
  sampler: string;
  scheduler: string;
  denoise: number;
  workflowTemplate: string;
  /** Storage key of the picture an img2img / upscale starts from; absent = txt2img. */
  initImageKey?: string | null;
  /** The uploaded workflow template version it is built from; null/absent = the built-in `workflowTemplate`. */
  workflowVersionId?: number | null;
  parentId: string | null;
  /** When the limiter counted it (set by the enqueue); absent = not counted. */
  chargedAt?: Date | null;
  /** Fair order among waiting requests, higher first (the enqueue's -k for a user's k-th active request). */
  queuePriority?: number;
}

export function insertGeneration(g: NewGenerationRow): SqlStatement {
  return {
    text: `insert into generation (id, user_id, guild_id, channel_id, application_id, interaction_id, interaction_token,
        interaction_token_expires_at, prompt, negative_prompt, checkpoint, loras, vae, width, height, batch_size, seed,
        steps, cfg, sampler, scheduler, denoise, workflow_template, parent_id, charged_at, queue_priority, attachment_size_limit, init_image_key, workflow_version_id)
      values ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12::jsonb,$13,$14,$15,$16,$17::numeric,$18,$19,$20,$21,$22,$23,$24,$25,$26,$27,$28,$29)
      returning ${generationColumns}`,
    values: [
      g.id, g.userId, g.guildId, g.channelId, g.applicationId, g.interactionId, g.interactionToken,
      g.interactionTokenExpiresAt, g.prompt, g.negativePrompt, g.checkpoint, JSON.stringify(g.loras), g.vae, g.width,
      g.height, g.batchSize, g.seed, g.steps, g.cfg, g.sampler, g.scheduler, g.denoise, g.workflowTemplate, g.parentId,
      g.chargedAt ?? null, g.queuePriority ?? 0, g.attachmentSizeLimit ?? null, g.initImageKey ?? null, g.workflowVersionId ?? null,
    ],
  };
}

export function selectGeneration(id: string): SqlStatement {
  return { text: `select ${generationColumns} from generation where id = $1`, values: [id] };
}

/** Fields a status change may set alongside the status. */
export interface TransitionPatch {
  progress?: number;
  comfyInstanceId?: number | null;
  comfyPromptId?: string | null;
  generateJobId?: string | null;
  errorCode?: string | null;
  errorMessage?: string | null;
  outputs?: unknown[];
  incrementAttempts?: boolean;
}

const patchColumns: Record<Exclude<keyof TransitionPatch, 'incrementAttempts'>, string> = {
  progress: 'progress',
  comfyInstanceId: 'comfy_instance_id',
  comfyPromptId: 'comfy_prompt_id',
  generateJobId: 'generate_job_id',
  errorCode: 'error_code',
  errorMessage: 'error_message',
  outputs: 'outputs',
};

/**
 * Atomic guarded status change: only succeeds when the current status is one of `from`. Also
 * returns the status it left (`previousStatus`), which the limiter's counters need.
 */
export function transitionGeneration(id: string, from: GenerationStatus[], to: GenerationStatus, patch: TransitionPatch = {}): SqlStatement {
  const values: unknown[] = [id, from, to];
  const sets = ['status = $3', 'updated_at = now()'];
  for (const [key, column] of Object.entries(patchColumns) as [keyof typeof patchColumns, string][]) {
    if (patch[key] === undefined) continue;
    values.push(key === 'outputs' ? JSON.stringify(patch[key]) : patch[key]);
    sets.push(`${column} = $${values.length}${key === 'outputs' ? '::jsonb' : ''}`);
  }
  if (patch.incrementAttempts) sets.push('attempts = attempts + 1');
  if (to === 'running') sets.push('started_at = coalesce(started_at, now())');
  if (to === 'succeeded' || to === 'failed' || to === 'cancelled') sets.push('finished_at = now()');
  if (to === 'succeeded') sets.push('progress = 1');
  return {
    text: `update generation set ${sets.join(', ')}
      from (select id as previous_id, status as previous_status from generation where id = $1 for update) previous
      where id = previous.previous_id and previous.previous_status = any($2::text[])
      returning ${generationColumns}, previous.previous_status as "previousStatus"`,
    values,
  };
}

/** A user's history, newest first; stable under equal timestamps thanks to the id tiebreak. */
export function userHistoryPage(userId: string, limit: number, after?: KeysetCursor): SqlStatement {
  if (!after) {
    return {
      text: `select ${generationColumns} from generation where user_id = $1 order by created_at desc, id desc limit $2`,
      values: [userId, limit + 1],
    };
  }
  return {
    text: `select ${generationColumns} from generation where user_id = $1 and (created_at, id) < ($3, $4::uuid)
      order by created_at desc, id desc limit $2`,
    values: [userId, limit + 1, after.createdAt, after.id],
  };
}

export interface GenerationFilters {
  userId?: string;
  guildId?: string;
  status?: GenerationStatus[];
  checkpoint?: string;
  comfyInstanceId?: number;
  createdFrom?: Date;
  createdTo?: Date;
}

/** Admin listing with optional filters, keyset-paginated like the history. */
export function listGenerations(filters: GenerationFilters, limit: number, after?: KeysetCursor): SqlStatement {
  const values: unknown[] = [];
  const where: string[] = [];
  const add = (sql: (n: number) => string, value: unknown) => {
    values.push(value);
    where.push(sql(values.length));
  };
  if (filters.userId) add((n) => `user_id = $${n}`, filters.userId);
  if (filters.guildId) add((n) => `guild_id = $${n}`, filters.guildId);
  if (filters.status?.length) add((n) => `status = any($${n}::text[])`, filters.status);
  if (filters.checkpoint) add((n) => `checkpoint = $${n}`, filters.checkpoint);
  if (filters.comfyInstanceId !== undefined) add((n) => `comfy_instance_id = $${n}`, filters.comfyInstanceId);
  if (filters.createdFrom) add((n) => `created_at >= $${n}`, filters.createdFrom);
  if (filters.createdTo) add((n) => `created_at < $${n}`, filters.createdTo);
  if (after) {
    values.push(after.createdAt, after.id);
    where.push(`(created_at, id) < ($${values.length - 1}, $${values.length}::uuid)`);
  }
  values.push(limit + 1);
  return {
    text: `select ${generationColumns} from generation ${where.length ? `where ${where.join(' and ')}` : ''}
      order by created_at desc, id desc limit $${values.length}`,
    values,
  };
}

/** Progress of a running generation (0..1); ignored once it has left `running`. */
export function setProgress(id: string, progress: number): SqlStatement {
  return { text: `update generation set progress = $2, updated_at = now() where id = $1 and status = 'running'`, values: [id, progress] };
}

export function lockGeneration(id: string): SqlStatement {
  return { text: `select status from generation where id = $1 for update`, values: [id] };
}

/** pg-boss generate jobs of a generation that have not started yet. */
export function waitingGenerateJobs(generationId: string): SqlStatement {
  return {
    text: `select id from pgboss.job where name = 'generate' and data->>'generationId' = $1 and state in ('created', 'retry')`,
    values: [generationId],
  };
}

/** What a running job polls: cheap enough for every few hundred ms. */
export function selectStatus(id: string): SqlStatement {
  return { text: `select status from generation where id = $1`, values: [id] };
}

/** Marks a generation deleted (once); returns the row only the first time. */
export function markGenerationDeleted(id: string): SqlStatement {
  return {
    text: `update generation set deleted_at = now(), updated_at = now() where id = $1 and deleted_at is null returning ${generationColumns}`,
    values: [id],
  };
}

/** Records progress while it runs and reads the status (a cancel to pass on) in one statement. */
/**
 * A running generation's check, one statement: saves its progress (when given), reads its status
 * (to notice a cancel) and whether its instance is marked unhealthy (a prompt still waiting there moves).
 */
export function runningCheck(id: string, progress: number | null, liveEditGapMs: number): SqlStatement {
  return {
    text: `with saved as (update generation set progress = $2, updated_at = now() where $2::float8 is not null and id = $1 and status = 'running')
      select g.status, coalesce(i.health = 'unhealthy', false) as "instanceUnhealthy",
        coalesce(greatest(0, extract(epoch from (g.live_edited_at + make_interval(secs => $3::float8 / 1000) - now())) * 1000), 0)::float8 as "liveWaitMs"
      from generation g left join comfy_instance i on i.id = g.comfy_instance_id where g.id = $1`,
    values: [id, progress, liveEditGapMs],
  };
}

/**
 * A running generation's success in one statement: the status change with its outputs (only from
 * running or cancel_requested), the limiter's release of the user's active request (what
 * countStatusChange does for this change: a succeeded request gives back no images and was not
 * waiting), and image storage marked healthy again when it was marked failing (these outputs were
 * just written). `succeeded`: false when the generation had already ended or is gone.
 * `storageFailingSince`: the failure this write ended, if any.
 */
export function succeedGeneration(id: string, outputs: unknown[]): SqlStatement {
  return { text: `with ${succeedCtes}\n      select ${succeedColumns}`, values: [id, JSON.stringify(outputs)] };
}

/** A job to insert with the success: pg-boss's own insert of its queue, and the jobs' JSON array. */
export interface EmbeddedJob {
  insert: EmbeddableJobInsert;
  queue: string;
  jobs: string;
  /** False: the statement sends no NOTIFY for the job (see jobCtes); the caller wakes a worker after the commit. */
  notify?: boolean;
}

/**
 * succeedGeneration with the result's delivery job in the same statement (so one round trip, and
 * still all or nothing): the job is inserted only when this statement ended the generation, and a
 * job pg-boss's insert skipped (ON CONFLICT) fails the statement (division by zero), so an ending
 * never commits without its delivery. `jobs`: how many were inserted (0 when it had already ended).
 */
export function succeedGenerationWithJob(id: string, outputs: unknown[], job: EmbeddedJob): SqlStatement {
  const notify = job.notify ?? true;
  const key = `${job.insert.insert}\u0000${job.insert.notify}\u0000${job.queue}\u0000${notify}`;
  let statement = succeedWithJobStatements.get(key);
  if (!statement) {
    const { ctes, columns } = jobCtes(job.insert, job.queue, `(select case when exists (select 1 from done) then $3::text else '[]' end)`, { notify });
    const text = `with ${succeedCtes},
      ${ctes}
      select ${succeedColumns}, ${columns},
        1 / (not exists (select 1 from done) or (select count(*) from job) = 1)::int as "_jobInserted"`;
    statement = { text, name: `generation.succeed-${createHash('sha1').update(key).digest('hex').slice(0, 12)}` };
    succeedWithJobStatements.set(key, statement);
  }
  return { ...statement, values: [id, JSON.stringify(outputs), job.jobs] };
}

const succeedWithJobStatements = new Map<string, { text: string; name: string }>();

const succeedCtes = `previous as (select id, status from generation where id = $1 for update),
      done as (
        update generation g set status = 'succeeded', outputs = $2::jsonb, progress = 1, finished_at = now(), updated_at = now()
        from previous where g.id = previous.id and previous.status in ('running', 'cancel_requested')
        returning g.user_id, g.charged_at),
      released as (
        update user_usage u set active = greatest(u.active - 1, 0)
        from done where u.user_id = done.user_id and done.charged_at is not null
        returning 1),
      storage as (
        update storage_health s set failing_since = null, last_error = null, updated_at = now()
        from (select failing_since as was from storage_health where id = 1) b
        where s.id = 1 and s.failing_since is not null
        returning b.was),
      -- Its own generate job (the generation's id, enqueueMany), when no worker fetched it yet: it has
      -- nothing left to do, and fetched it would cost a fetch and a completion (two statements) to
      -- learn that. Only 'created': a job that ran may have placed other requests (its retry resumes them).
      own_job as (
        update ${bossSchema}.job j set state = 'completed', completed_on = ${bossSchema}.job_now()
        from done where j.name = 'generate' and j.id = $1 and j.state = 'created')`;

const succeedColumns = `exists (select 1 from done) as "succeeded", (select was from storage) as "storageFailingSince",
        (select count(*) from released)::int as "released"`;
