import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

export const modelKinds = ['checkpoint', 'lora', 'vae', 'embedding'] as const;
export type ModelKind = (typeof modelKinds)[number];
export const modelSources = ['discovered', 'manual'] as const;

/** The seed's AvailableModel: one file that one or more ComfyUI instances can load. */
export const ModelEntity = defineEntity({
  name: 'Model',
  tableName: 'model',
  properties: {
    id: p.integer().primary().autoincrement(),
    kind: p.enum(() => modelKinds),
    fileName: p.string().length(500),
    displayName: p.string().length(200),
    description: p.text().default(''),
    baseFamily: p.string().length(32).nullable(),
    tags: p.json<string[]>().defaultRaw("'[]'").onCreate(() => []),
    triggerWords: p.json<string[]>().defaultRaw("'[]'").onCreate(() => []),
    defaultStrengthModel: p.double().nullable(),
    defaultStrengthClip: p.double().nullable(),
    defaultWidth: p.integer().nullable(),
    defaultHeight: p.integer().nullable(),
    defaultSteps: p.integer().nullable(),
    defaultCfg: p.double().nullable(),
    defaultSampler: p.string().length(64).nullable(),
    defaultScheduler: p.string().length(64).nullable(),
    nsfw: p.boolean().default(false),
    enabled: p.boolean().default(true),
    // Pickle-based files can run code when loaded; they stay disabled until an operator enables them.
    unsafe: p.boolean().default(false),
    available: p.boolean().default(true),
    allowedRoles: p.json<string[]>().defaultRaw("'[]'").onCreate(() => []),
    source: p.enum(() => modelSources).default('manual'),
    instanceIds: p.json<number[]>().defaultRaw("'[]'").onCreate(() => []),
    sha256: p.string().length(64).nullable(),
    sizeBytes: p.bigint('string').nullable(),
    firstSeenAt: p.datetime(3).nullable(),
    lastSeenAt: p.datetime(3).nullable(),
    createdAt: p.datetime(3).defaultRaw('now()'),
    updatedAt: p.datetime(3).defaultRaw('now()'),
  },
  uniques: [{ name: 'model_kind_file_name_unique', properties: ['kind', 'fileName'] }],
  indexes: [{ name: 'model_kind_enabled_idx', properties: ['kind', 'enabled'] }],
});

export type Model = InferEntity<typeof ModelEntity>;
