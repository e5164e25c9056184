import { z } from 'zod';

const generationId = z.uuid();

/** Every job payload, shared by the producer (bot, admin API, scheduler) and the consumer. */
export const jobSchemas = {
  generate: z.object({ generationId }),
  thumbnail: z.object({
    generationId,
    outputIndex: z.number().int().min(0).optional(),
    // Sent with a success: where its files go and the outputs stored, so the job need not read the
    // row first. Absent (older jobs, a single output redone): read from the row.
    prefix: z.string().min(1).optional(),
    outputs: z.array(z.object({ index: z.number().int().min(0), path: z.string().min(1) })).optional(),
  }),
  deliver: z.object({
    generationId,
    // `live`: bring the waiting / progress message up to date (see send-live.ts); `progress` is its
    // older name, still accepted for jobs enqueued before it.
    kind: z.enum(['result', 'failure', 'cancelled', 'progress', 'live']),
    // `live` while waiting: the place line-update computed, so the edit need not compute it again.
    place: z.object({ ahead: z.number().int().min(0), capped: z.boolean(), etaSeconds: z.number().min(0).nullable() }).optional(),
  }),
  cleanup: z.object({}).default({}),
  'discover-models': z.object({}).default({}),
  'instance-health': z.object({}).default({}),
  'reap-stuck': z.object({}).default({}),
  'keep-reply-ids': z.object({}).default({}),
  'generate-dead': z.object({ generationId }),
  'line-update': z.object({}).default({}),
} as const;

export type QueueName = keyof typeof jobSchemas;
export type JobPayload<Q extends QueueName> = z.infer<(typeof jobSchemas)[Q]>;

export function parsePayload<Q extends QueueName>(queue: Q, data: unknown): JobPayload<Q> {
  return jobSchemas[queue].parse(data) as JobPayload<Q>;
}
