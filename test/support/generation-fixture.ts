import { randomUUID } from 'node:crypto';
import type { NewGeneration } from '#shared/db/repositories/generation-repository.ts';

/** A valid generation request with Discord-shaped ids; override what a test is about. */
export function generationInput(overrides: Partial<NewGeneration> = {}): NewGeneration {
  return {
    id: randomUUID(),
    userId: '100000000000000001',
    guildId: '200000000000000001',
    channelId: '300000000000000001',
    applicationId: '400000000000000001',
    interactionId: null,
    interactionToken: null,
    interactionTokenExpiresAt: null,
    prompt: 'a lighthouse at dusk',
    negativePrompt: '',
    checkpoint: 'base.safetensors',
    loras: [],
    vae: null,
    width: 64,
    height: 64,
    batchSize: 1,
    seed: '42',
    steps: 4,
    cfg: 7,
    sampler: 'euler',
    scheduler: 'normal',
    denoise: 1,
    workflowTemplate: 'txt2img',
    parentId: null,
    ...overrides,
  };
}
