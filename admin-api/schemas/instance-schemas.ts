import { z } from 'zod';
import { text } from './text.ts';

const baseUrl = text({ max: 500, min: 1, trim: true })
  .pipe(z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }))
  .transform((u) => u.replace(/\/+$/, ''));

const instanceFields = {
  name: text({ max: 100, min: 1, trim: true }),
  baseUrl,
  maxQueueDepth: z.number().int().min(1).max(100),
  enabled: z.boolean(),
};

export const createInstanceBody = z.strictObject({
  name: instanceFields.name,
  baseUrl: instanceFields.baseUrl,
  maxQueueDepth: instanceFields.maxQueueDepth.optional(),
  enabled: instanceFields.enabled.optional(),
});

export const patchInstanceBody = z
  .strictObject({ name: instanceFields.name, baseUrl: instanceFields.baseUrl, maxQueueDepth: instanceFields.maxQueueDepth })
  .partial()
  .refine((patch) => Object.keys(patch).length > 0, { error: 'expected at least one field to change' });

export const instanceIdParams = z.object({ id: z.string().regex(/^\d{1,9}$/, { error: 'expected an instance id' }).transform(Number) });
