import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { ComfyInstanceEntity } from './comfy-instance.ts';

import { generationStatuses, type GenerationStatus } from '../value-lists.ts';

export { generationStatuses, type GenerationStatus };

export interface LoraChoice {
  name: string;
  strengthModel: number;
  strengthClip: number;
}

export interface GenerationOutput {
  index: number;
  status: 'stored' | 'failed' | 'expired';
  /** A kept output is never removed by retention. */
  kept?: boolean;
  path?: string;
  bytes?: number;
  width?: number;
  height?: number;
  sha256?: string;
  thumbnails?: { size: number; format: 'webp' | 'jpeg'; path: string; bytes: number; sha256?: string }[];
  error?: string;
}

export const GenerationEntity = defineEntity({
  name: 'Generation',
  tableName: 'generation',
  properties: {
    id: p.uuid().primary(),
    userId: p.string().length(20),
    guildId: p.string().length(20).nullable(),
    channelId: p.string().length(20),
    messageId: p.string().length(20).nullable(),
    applicationId: p.string().length(20),
    interactionId: p.string().length(20).nullable(),
    interactionToken: p.text().nullable().hidden(),
    interactionTokenExpiresAt: p.datetime(3).nullable(),
    // The upload cap Discord stated on the interaction (attachment_size_limit, bytes); the delivery keeps files under it.
    attachmentSizeLimit: p.integer().nullable(),
    prompt: p.text(),
    negativePrompt: p.text().default(''),
    checkpoint: p.string().length(255),
    loras: p.json<LoraChoice[]>().defaultRaw("'[]'").onCreate(() => []),
    vae: p.string().length(255).nullable(),
    width: p.integer(),
    height: p.integer(),
    batchSize: p.integer().default(1),
    // numeric(20,0): the full unsigned 64-bit range, read back as a string, never a JS number.
    seed: p.decimal('string').precision(20).scale(0),
    steps: p.integer(),
    cfg: p.double(),
    sampler: p.string().length(64),
    scheduler: p.string().length(64),
    denoise: p.double().default(1),
    workflowTemplate: p.string().length(64).default('txt2img'),
    // Image to image / upscale: the storage key of the picture it starts from (strength = denoise).
    initImageKey: p.text().nullable(),
    // An uploaded template's version (workflow_template_version.id); null = the built-in workflowTemplate.
    workflowVersionId: p.integer().nullable(),
    status: p.enum(() => generationStatuses).default('queued'),
    progress: p.double().default(0),
    comfyInstance: () => p.manyToOne(ComfyInstanceEntity).nullable().deleteRule('set null'),
    comfyPromptId: p.uuid().nullable().unique(),
    // The pg-boss job that placed it: lets slot accounting tell live work from a dead worker's.
    generateJobId: p.uuid().nullable(),
    // The prompt id ComfyUI reported finished: while it equals comfyPromptId the outputs are being
    // stored and the prompt no longer holds a slot on its instance (inFlightOfInstance).
    finishedPromptId: p.uuid().nullable(),
    errorCode: p.string().length(64).nullable(),
    errorMessage: p.text().nullable(),
    attempts: p.integer().default(0),
    // Fair order among waiting requests (higher first, then oldest): -(the user's requests already waiting or running at enqueue).
    queuePriority: p.integer().default(0),
    outputs: p.json<GenerationOutput[]>().defaultRaw("'[]'").onCreate(() => []),
    parent: () => p.manyToOne(GenerationEntity).nullable().deleteRule('set null'),
    createdAt: p.datetime(3).defaultRaw('now()'),
    // When the limiter counted this request (its clock); null = not counted (created outside enqueue).
    chargedAt: p.datetime(3).nullable(),
    // Queued in a guild that was paused when the scheduler would have placed it: it has no job until
    // /genadmin resume sends one again (see src-shared/moderation/pause.ts).
    held: p.boolean().default(false),
    startedAt: p.datetime(3).nullable(),
    finishedAt: p.datetime(3).nullable(),
    deliveredAt: p.datetime(3).nullable(),
    // Deleted by its owner or a moderator (🗑): the message is gone and its image links answer 410.
    deletedAt: p.datetime(3).nullable(),
    // The live "#N in line" / progress message: last edit (edits are spaced per message) and what it showed.
    liveEditedAt: p.datetime(3).nullable(),
    liveShown: p.string().length(100).nullable(),
    // A waiting one's place as line-update last computed it (LinePlace); its live edit shows it.
    linePlace: p.json<Record<string, unknown>>().nullable(),
    updatedAt: p.datetime(3).defaultRaw('now()'),
  },
  indexes: [
    { name: 'generation_user_history_idx', expression: 'create index "generation_user_history_idx" on "generation" ("user_id", "created_at" desc, "id" desc)' },
    { name: 'generation_guild_created_idx', expression: 'create index "generation_guild_created_idx" on "generation" ("guild_id", "created_at" desc)' },
    {
      name: 'generation_active_status_idx',
      expression:
        "create index \"generation_active_status_idx\" on \"generation\" (\"status\", \"created_at\") where \"status\" in ('queued', 'running', 'cancel_requested')",
    },
    {
      name: 'generation_queued_order_idx',
      expression:
        "create index \"generation_queued_order_idx\" on \"generation\" (\"queue_priority\" desc, \"created_at\", \"id\") where \"status\" = 'queued'",
    },
    {
      name: 'generation_user_active_idx',
      expression:
        "create index \"generation_user_active_idx\" on \"generation\" (\"user_id\", \"created_at\", \"id\") where \"status\" in ('queued', 'running', 'cancel_requested')",
    },
    { name: 'generation_held_idx', expression: 'create index "generation_held_idx" on "generation" ("guild_id") where "held"' },
    {
      name: 'generation_token_expiry_idx',
      expression: 'create index "generation_token_expiry_idx" on "generation" ("interaction_token_expires_at") where "interaction_token" is not null',
    },
    { name: 'generation_created_idx', expression: 'create index "generation_created_idx" on "generation" ("created_at" desc, "id" desc)' },
  ],
  checks: [
    { name: 'generation_seed_range', expression: 'seed >= 0 and seed <= 18446744073709551615' },
    { name: 'generation_size_positive', expression: '(width > 0) AND (height > 0) AND ((batch_size >= 1) AND (batch_size <= 16))' },
    // Written as Postgres prints it back. MikroORM's diff still mangles the casts, so `migrate create`
    // re-emits this constraint: delete those two lines from a generated migration.
    { name: 'generation_progress_range', expression: '(progress >= (0)::double precision) AND (progress <= (1)::double precision)' },
  ],
});

export type Generation = InferEntity<typeof GenerationEntity>;
