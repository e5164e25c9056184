import { z } from 'zod';
import { generationStatuses } from '#shared/db/entities/generation.ts';
import { instanceHealths } from '#shared/db/entities/comfy-instance.ts';
import { modelKinds, modelSources } from '#shared/db/entities/model.ts';

/** What answers look like, for the document only: requests are validated by the schemas in ../schemas. */

const dateTime = z.iso.datetime({ offset: true });
const nullableDateTime = dateTime.nullable();

export const errorResponse = z
  .object({ error: z.object({ code: z.string(), message: z.string(), details: z.unknown() }) })
  .meta({ id: 'Error', description: 'Every error: a machine code, a message for people, and details (per field for validation errors).' });

export const modelResponse = z
  .object({
    id: z.int(), kind: z.enum(modelKinds), fileName: z.string(), displayName: z.string(), description: z.string(),
    baseFamily: z.string().nullable(), tags: z.array(z.string()), triggerWords: z.array(z.string()),
    defaultStrengthModel: z.number().nullable(), defaultStrengthClip: z.number().nullable(),
    defaultWidth: z.int().nullable(), defaultHeight: z.int().nullable(), defaultSteps: z.int().nullable(), defaultCfg: z.number().nullable(),
    defaultSampler: z.string().nullable(), defaultScheduler: z.string().nullable(), nsfw: z.boolean(), enabled: z.boolean(),
    unsafe: z.boolean(), available: z.boolean(), allowedRoles: z.array(z.string()), source: z.enum(modelSources),
    instanceIds: z.array(z.int()), sha256: z.string().nullable(), sizeBytes: z.string().nullable(),
  })
  .catchall(z.unknown())
  .meta({ id: 'Model' });

export const modelPage = z.object({ items: z.array(modelResponse), nextCursor: z.string().nullable() }).meta({ id: 'ModelPage' });

export const modelList = z.object({ items: z.array(modelResponse) }).meta({ id: 'ModelList' });

const fileRef = z.object({ kind: z.enum(modelKinds), fileName: z.string() });
const modelState = z.object({ instanceIds: z.array(z.int()), available: z.boolean() });
const changedFile = fileRef.extend({ id: z.int().nullable().describe('the model id; null for one added by this refresh (list the models to see it)') });

export const refreshResponse = z
  .object({
    added: z.array(fileRef.extend({ enabled: z.boolean(), unsafe: z.boolean(), instanceIds: z.array(z.int()) })).describe('new models (unsafe formats start disabled)'),
    updated: z.array(fileRef.extend({ id: z.int(), before: modelState, after: modelState })).describe('instances changed, or available again'),
    retired: z.array(fileRef.extend({ id: z.int(), instanceIds: z.array(z.int()).describe('where it was') })).describe('gone from every instance that answered: marked unavailable, kept'),
    unreachable: z.array(z.object({ id: z.int(), name: z.string(), baseUrl: z.string(), error: z.string() })),
    instances: z.array(
      z.object({
        id: z.int(), name: z.string(), baseUrl: z.string(), answered: z.boolean(), error: z.string().nullable().describe('why it did not answer; its models were left as they were'),
        gained: z.array(changedFile), lost: z.array(changedFile),
      }),
    ).describe('per enabled instance'),
  })
  .meta({ id: 'ModelRefresh' });

const output = z.object({ index: z.int(), status: z.enum(['stored', 'failed', 'expired']) }).catchall(z.unknown());

export const generationResponse = z
  .object({
    id: z.uuid(), userId: z.string(), guildId: z.string().nullable(), channelId: z.string(), messageId: z.string().nullable(),
    applicationId: z.string(), interactionId: z.string().nullable(), interactionTokenExpiresAt: nullableDateTime,
    prompt: z.string(), negativePrompt: z.string(), checkpoint: z.string(),
    loras: z.array(z.object({ name: z.string(), strengthModel: z.number(), strengthClip: z.number() })),
    vae: z.string().nullable(), width: z.int(), height: z.int(), batchSize: z.int(), seed: z.string().describe('0 … 2^64−1 as a decimal string'),
    steps: z.int(), cfg: z.number(), sampler: z.string(), scheduler: z.string(), denoise: z.number(), workflowTemplate: z.string(),
    initImageKey: z.string().nullable().describe('storage key of the picture it started from (img2img, upscale); null for text to image'),
    status: z.enum(generationStatuses), progress: z.number().min(0).max(1), comfyInstanceId: z.int().nullable(), comfyPromptId: z.uuid().nullable(),
    generateJobId: z.uuid().nullable(), errorCode: z.string().nullable(), errorMessage: z.string().nullable(), attempts: z.int(),
    outputs: z.array(output), parentId: z.uuid().nullable(), chargedAt: nullableDateTime, createdAt: dateTime, startedAt: nullableDateTime,
    finishedAt: nullableDateTime, deliveredAt: nullableDateTime, updatedAt: dateTime,
  })
  .catchall(z.unknown())
  .meta({ id: 'Generation', description: 'The interaction token never leaves the server.' });

export const generationPage = z.object({ items: z.array(generationResponse), nextCursor: z.string().nullable() }).meta({ id: 'GenerationPage' });

export const timelineEntry = z
  .object({
    step: z.enum(['queued', 'placed', 'submitted', 'progress', 'finished', 'delivered']),
    at: nullableDateTime,
    done: z.boolean(),
    detail: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'TimelineEntry' });

export const generationWithTimeline = generationResponse.extend({ timeline: z.array(timelineEntry) }).meta({ id: 'GenerationWithTimeline' });

export const instanceResponse = z
  .object({
    id: z.int(), name: z.string(), baseUrl: z.string(), enabled: z.boolean(), draining: z.boolean(),
    state: z.enum(['enabled', 'draining', 'disabled']).describe('draining: finishes what it runs, takes nothing new'),
    maxQueueDepth: z.int(), health: z.enum(instanceHealths), lastError: z.string().nullable(), lastSeenAt: nullableDateTime,
    avgSecondsPerStep: z.number().nullable().describe('rolling (exponentially weighted) seconds per sampling step'),
    lastCheckpoint: z.string().nullable(), queueDepth: z.int().describe('generations running or being cancelled there'),
    models: z.array(z.object({ kind: z.string(), fileName: z.string() })).describe('models discovery found there'),
    createdAt: dateTime, updatedAt: dateTime,
  })
  .meta({ id: 'Instance' });

export const instanceList = z.object({ items: z.array(instanceResponse) }).meta({ id: 'InstanceList' });

const groupCount = z
  .object({
    key: z.string().nullable(), total: z.int(), succeeded: z.int(), failed: z.int(), cancelled: z.int(),
    successRate: z.number().nullable().describe('succeeded / (succeeded + failed); null when none finished'),
    failureRate: z.number().nullable(),
  })
  .meta({ id: 'GroupCount' });

const percentiles = z.object({ p50: z.number().nullable(), p95: z.number().nullable() });

export const statsResponse = z
  .object({
    since: dateTime, total: z.int(), byStatus: z.array(groupCount), byModel: z.array(groupCount), byInstance: z.array(groupCount), byGuild: z.array(groupCount),
    queue: z.object({ waiting: z.int(), running: z.int(), oldestWaitingSeconds: z.number().nullable() }),
    seconds: z.object({ wait: percentiles.describe('created → placed'), run: percentiles.describe('placed → succeeded or failed') }),
  })
  .meta({ id: 'Stats' });

export const healthResponse = z.object({ status: z.literal('ok'), uptimeSeconds: z.int() });
export const readyResponse = z.object({
  status: z.enum(['ready', 'not_ready']),
  checks: z.object({
    database: z.enum(['ok', 'down', 'missing']),
    queue: z.enum(['ok', 'down', 'missing']),
    storage: z.enum(['ok', 'failing', 'down']).describe('failing: the schedulers\' image writes fail (GPU intake is held; stored images are still served, so still ready); down: this process cannot reach the storage (local folder or S3 bucket), or the database is down'),
  }),
  storageFailingSince: z.string().optional().describe('when image writes began to fail'),
});

const workflowVersion = z
  .object({
    id: z.int().describe('the version id generations record'), templateId: z.int(), version: z.int(),
    graph: z.record(z.string(), z.unknown()).describe('the API-format workflow as uploaded'),
    bindings: z.record(z.string(), z.unknown()), nodeClasses: z.array(z.string()).describe('every node class it uses; placement needs them all'),
    createdAt: dateTime,
  })
  .meta({ id: 'WorkflowVersion' });

const workflowFields = {
  id: z.int(), name: z.string(), description: z.string(), enabled: z.boolean(),
  allowedRoles: z.array(z.string()).describe('role ids that may use it in /imagine; empty = everyone'),
  latestVersion: z.int().nullable(), createdAt: dateTime, updatedAt: dateTime,
};

export const workflowList = z.object({ items: z.array(z.object(workflowFields).meta({ id: 'WorkflowSummary' })) }).meta({ id: 'WorkflowList' });

export const workflowResponse = z.object({ ...workflowFields, versions: z.array(workflowVersion).describe('newest first') }).meta({ id: 'Workflow' });

const instanceProblems = z.object({
  id: z.int(), name: z.string(),
  problems: z.array(z.object({ binding: z.string().optional(), nodeId: z.string(), classType: z.string().optional(), input: z.string().optional(), code: z.string(), message: z.string() })),
});

export const workflowCreated = workflowResponse
  .extend({
    created: z.object({ version: z.int(), versionId: z.int() }),
    runsOn: z.array(z.object({ id: z.int(), name: z.string() })).describe('enabled instances that can run it'),
    refusedBy: z.array(instanceProblems).describe('enabled instances that cannot (e.g. a custom node missing), with why'),
  })
  .meta({ id: 'WorkflowCreated' });

export const erasureResponse = z
  .object({
    userId: z.string(),
    generations: z.int().describe('finished generation rows deleted'),
    files: z.int().describe('objects deleted from storage (originals, thumbnails, anything under the member\'s prefix)'),
    stillStopping: z.int().describe('requests that were on a GPU: cancelled, and erased by the cleanup job once they stop'),
  })
  .meta({ id: 'Erasure' });

const policyValues = z
  .object({
    perMinute: z.int().nullable(), perHour: z.int().nullable(), perDay: z.int().nullable(), maxActive: z.int().nullable(),
    maxBatch: z.int().nullable(), maxSteps: z.int().nullable(), maxPixels: z.int().nullable(), blocked: z.boolean().nullable(),
  })
  .describe('null = not set at this scope (the wider scope decides); 0 = no cap')
  .meta({ id: 'PolicyValues' });

export const limitPolicy = z
  .object({
    scope: z.enum(['global', 'guild', 'role', 'user']), guildId: z.string().nullable(), subjectId: z.string().nullable().describe('the role or user id'),
    values: policyValues,
  })
  .meta({ id: 'LimitPolicy' });

export const limitPolicyWrite = limitPolicy.extend({ before: policyValues }).meta({ id: 'LimitPolicyWrite' });
export const limitPolicyList = z.object({ items: z.array(limitPolicy.extend({ updatedAt: dateTime })) }).meta({ id: 'LimitPolicyList' });

export const familyRuleList = z
  .object({
    items: z.array(z.object({
      position: z.int().describe('order: the lowest matching position decides'),
      pattern: z.string().describe('regular expression, matched case-insensitively against the file name'),
      family: z.string(),
    })),
  })
  .meta({ id: 'ModelFamilyRuleList' });
