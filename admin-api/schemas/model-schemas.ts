import { z } from 'zod';
import { modelKinds, modelSources } from '#shared/db/entities/model.ts';
import { queryBoolean, queryInt, snowflake } from './query-values.ts';
import { text } from './text.ts';

const int4Max = 2_147_483_647;
const bigintMax = 9_223_372_036_854_775_807n;

// Column lengths from the model table (migrations/…_initial.ts); tags and trigger words live in jsonb.
const stringList = (maxItems: number, maxLength: number) => z.array(text({ max: maxLength, min: 1, trim: true })).max(maxItems);
const positiveInt = z.number().int().positive();

/** Every field an operator may set on a model; `kind` and `fileName` identify it. */
const modelFields = {
  kind: z.enum(modelKinds),
  fileName: text({ max: 500, min: 1, trim: true }),
  displayName: text({ max: 200, min: 1, trim: true }),
  description: text({ max: 4000 }),
  baseFamily: text({ max: 32, min: 1, trim: true }).nullable(),
  tags: stringList(50, 64),
  triggerWords: stringList(50, 200),
  defaultStrengthModel: z.number().min(-10).max(10).nullable(),
  defaultStrengthClip: z.number().min(-10).max(10).nullable(),
  defaultWidth: positiveInt.max(8192).nullable(),
  defaultHeight: positiveInt.max(8192).nullable(),
  defaultSteps: positiveInt.max(200).nullable(),
  defaultCfg: z.number().min(0).max(100).nullable(),
  defaultSampler: text({ max: 64, min: 1 }).nullable(),
  defaultScheduler: text({ max: 64, min: 1 }).nullable(),
  nsfw: z.boolean(),
  enabled: z.boolean(),
  unsafe: z.boolean(),
  available: z.boolean(),
  allowedRoles: z.array(snowflake).max(100),
  source: z.enum(modelSources),
  instanceIds: z.array(positiveInt.max(int4Max)).max(100),
  sha256: z.string().regex(/^[0-9a-f]{64}$/i, { error: 'expected 64 hex digits' }).transform((s) => s.toLowerCase()).nullable(),
  sizeBytes: z
    .string()
    .regex(/^\d{1,19}$/, { error: 'expected a byte count as a decimal string' })
    // Zod runs every check even after the regex failed, so only digits may reach BigInt.
    .refine((s) => !/^\d+$/.test(s) || BigInt(s) <= bigintMax, { error: `expected at most ${bigintMax}` })
    .nullable(),
};

const { kind, fileName, ...optionalFields } = modelFields;

export const createModelBody = z.strictObject({ kind, fileName, ...z.object(optionalFields).partial().shape });

export const patchModelBody = z
  .strictObject(modelFields)
  .partial()
  .refine((patch) => Object.keys(patch).length > 0, { error: 'expected at least one field to change' });

export const modelIdParams = z.object({ id: z.string().regex(/^\d{1,9}$/, { error: 'expected a model id' }).transform(Number) });

export const listModelsQuery = z.strictObject({
  kind: z.enum(modelKinds).optional(),
  enabled: queryBoolean.optional(),
  available: queryBoolean.optional(),
  search: text({ max: 200, min: 1, trim: true }).optional(),
  baseFamily: text({ max: 32, min: 1, trim: true }).optional().describe('exact base family, e.g. sdxl'),
  tag: text({ max: 64, min: 1, trim: true }).optional().describe('has this tag (exact)'),
  instanceId: queryInt(1, int4Max).optional().describe('present on this ComfyUI instance'),
  cursor: queryInt(0, int4Max).optional(),
  limit: queryInt(1, 200).default(50),
});

export const bulkModelsBody = z.strictObject({
  ids: z.array(positiveInt.max(int4Max)).min(1).max(500).refine((ids) => new Set(ids).size === ids.length, { error: 'expected each id once' }),
  action: z.enum(['enable', 'disable']),
});
