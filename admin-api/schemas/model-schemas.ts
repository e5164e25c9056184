import { z } from 'zod';
import { modelKinds, modelSources } from '#shared/db/entities/model.ts';
import { queryBoolean, queryInt, snowflake } from './query-values.ts';

const stringList = (maxItems: number, maxLength: number) => z.array(z.string().trim().min(1).max(maxLength)).max(maxItems);
const positiveInt = z.number().int().positive();

/** Every field an operator may set on a model; `kind` and `fileName` identify it. */
const modelFields = {
  kind: z.enum(modelKinds),
  fileName: z.string().trim().min(1).max(500),
  displayName: z.string().trim().min(1).max(200),
  description: z.string().max(4000),
  baseFamily: z.string().trim().min(1).max(32).nullable(),
  tags: stringList(50, 64),
  triggerWords: stringList(50, 200),
  defaultStrengthModel: z.number().min(-10).max(10).nullable(),
  defaultStrengthClip: z.number().min(-10).max(10).nullable(),
  defaultWidth: positiveInt.max(8192).nullable(),
  defaultHeight: positiveInt.max(8192).nullable(),
  defaultSteps: positiveInt.max(200).nullable(),
  defaultCfg: z.number().min(0).max(100).nullable(),
  defaultSampler: z.string().min(1).max(64).nullable(),
  defaultScheduler: z.string().min(1).max(64).nullable(),
  nsfw: z.boolean(),
  enabled: z.boolean(),
  unsafe: z.boolean(),
  available: z.boolean(),
  allowedRoles: z.array(snowflake).max(100),
  source: z.enum(modelSources),
  instanceIds: z.array(positiveInt).max(100),
  sha256: z.string().regex(/^[0-9a-f]{64}$/i, { error: 'expected 64 hex digits' }).transform((s) => s.toLowerCase()).nullable(),
  sizeBytes: z.string().regex(/^\d{1,19}$/, { error: 'expected a byte count as a decimal string' }).nullable(),
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
  search: z.string().trim().min(1).max(200).optional(),
  cursor: queryInt(0, 2_147_483_647).optional(),
  limit: queryInt(1, 200).default(50),
});
