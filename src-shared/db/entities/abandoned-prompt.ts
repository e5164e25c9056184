import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { ComfyInstanceEntity } from './comfy-instance.ts';

/**
 * A prompt left on an instance that stopped answering while the request moved elsewhere. If the
 * instance was only unreachable (not restarted), the prompt is still in its queue: it is removed
 * there before the instance takes new work, so the GPU does not run the request a second time.
 */
export const AbandonedPromptEntity = defineEntity({
  name: 'AbandonedPrompt',
  tableName: 'abandoned_prompt',
  properties: {
    instance: () => p.manyToOne(ComfyInstanceEntity).primary().deleteRule('cascade'),
    promptId: p.uuid().primary(),
    generationId: p.uuid().nullable(),
    abandonedAt: p.datetime(3).defaultRaw('now()'),
  },
});

export type AbandonedPrompt = InferEntity<typeof AbandonedPromptEntity>;
