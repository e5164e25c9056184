import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

export const instanceHealths = ['unknown', 'healthy', 'unhealthy'] as const;

export const ComfyInstanceEntity = defineEntity({
  name: 'ComfyInstance',
  tableName: 'comfy_instance',
  properties: {
    id: p.integer().primary().autoincrement(),
    name: p.string().length(100).unique(),
    baseUrl: p.string().length(500).unique(),
    enabled: p.boolean().default(true),
    // Finishes what it runs, takes nothing new: placement skips it, health probes and watching go on.
    draining: p.boolean().default(false),
    maxQueueDepth: p.integer().default(2),
    health: p.enum(() => instanceHealths).default('unknown'),
    lastError: p.text().nullable(),
    lastSeenAt: p.datetime(3).nullable(),
    avgSecondsPerStep: p.double().nullable(),
    lastCheckpoint: p.string().length(255).nullable(),
    /** `Authorization` header for a reverse proxy in front of the instance. Secret: hidden from serialization, never logged. */
    proxyAuthorization: p.text().nullable().hidden(),
    /** Every node class its object_info offered at the last discovery; null = not discovered yet. */
    nodeClasses: p.json<string[]>().nullable(),
    createdAt: p.datetime(3).defaultRaw('now()'),
    updatedAt: p.datetime(3).defaultRaw('now()'),
  },
  checks: [{ name: 'comfy_instance_queue_depth', expression: '(max_queue_depth >= 1) AND (max_queue_depth <= 100)' }],
});

export type ComfyInstance = InferEntity<typeof ComfyInstanceEntity>;
