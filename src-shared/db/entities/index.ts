import { AbandonedPromptEntity } from './abandoned-prompt.ts';
import { AppSecretEntity } from './app-secret.ts';
import { AuditLogEntity } from './audit-log.ts';
import { ComfyInstanceEntity } from './comfy-instance.ts';
import { GenerationEntity } from './generation.ts';
import { GuildBlocklistEntity, GuildModelDisabledEntity, GuildSettingsEntity } from './guild-moderation.ts';
import { LimitPolicyEntity } from './limit-policy.ts';
import { ModelEntity } from './model.ts';
import { PendingErasureEntity } from './pending-erasure.ts';
import { QueueWaitingEntity, UserUsageEntity } from './user-usage.ts';

export * from './abandoned-prompt.ts';
export * from './app-secret.ts';
export * from './audit-log.ts';
export * from './comfy-instance.ts';
export * from './generation.ts';
export * from './guild-moderation.ts';
export * from './limit-policy.ts';
export * from './model.ts';
export * from './pending-erasure.ts';
export * from './user-usage.ts';

export const entities = [
  GenerationEntity,
  ModelEntity,
  ComfyInstanceEntity,
  LimitPolicyEntity,
  UserUsageEntity,
  QueueWaitingEntity,
  AuditLogEntity,
  AbandonedPromptEntity,
  AppSecretEntity,
  GuildSettingsEntity,
  GuildBlocklistEntity,
  GuildModelDisabledEntity,
  PendingErasureEntity,
];
