import { randomUUID } from 'node:crypto';
import type { LoraChoice } from '#shared/db/entities/generation.ts';
import type { NewGeneration } from '#shared/db/repositories/generation-repository.ts';
import { allowedValues, type ImagineRequest, type OptionProblem } from './imagine-options.ts';
import type { RegistryModel } from './registry-model.ts';
import { noCheckpointMessage, registryMessages, type RegistryState } from './registry-state.ts';
import { truncate } from '#shared/render/limits.ts';

/** What the registry said about the names in a request (null = no such model). */
export interface RegistryAnswer {
  checkpoint: RegistryModel | null;
  loras: (RegistryModel | null)[];
  /** Looked up when there is no default checkpoint, to say why. */
  registry?: RegistryState;
}

export interface CheckedModels {
  checkpoint: RegistryModel;
  loras: { model: RegistryModel; strengthModel: number; strengthClip: number }[];
}

export type ModelCheckResult = { ok: true; value: CheckedModels } | { ok: false; problem: OptionProblem };

function problem(option: 'model' | 'lora' | 'loras', message: string): { ok: false; problem: OptionProblem } {
  return { ok: false, problem: { option, allowed: allowedValues[option], message } };
}

/** Checks the looked-up models: present, enabled + available, nsfw only in nsfw channels. Pure. */
export function checkModels(request: ImagineRequest, answer: RegistryAnswer, allowNsfw: boolean): ModelCheckResult {
  const { checkpoint } = answer;
  if (!checkpoint) {
    return request.model
      ? problem('model', `\`model\`: there is no checkpoint called "${truncate(request.model, 100)}". Pick one from the list.`)
      : problem('model', answer.registry ? noCheckpointMessage(answer.registry) : registryMessages.noCheckpoint);
  }
  if (!checkpoint.usable) return problem('model', `\`model\`: ${checkpoint.displayName} is disabled right now. Pick another from the list.`);
  if (checkpoint.nsfw && !allowNsfw) return problem('model', `\`model\`: ${checkpoint.displayName} can only be used in age-restricted (NSFW) channels.`);
  const loraOption = request.loras.length > 1 ? 'loras' : 'lora';
  const loras: CheckedModels['loras'] = [];
  for (const [i, wanted] of request.loras.entries()) {
    const model = answer.loras[i] ?? null;
    if (!model) return problem(loraOption, `\`${loraOption}\`: there is no LoRA called "${truncate(wanted.name, 100)}". Pick one from the list.`);
    if (!model.usable) return problem(loraOption, `\`${loraOption}\`: ${model.displayName} is disabled right now.`);
    if (model.nsfw && !allowNsfw) return problem(loraOption, `\`${loraOption}\`: ${model.displayName} can only be used in age-restricted (NSFW) channels.`);
    const strengthModel = wanted.strength ?? model.defaultStrengthModel ?? 1;
    const strengthClip = wanted.strength ?? model.defaultStrengthClip ?? strengthModel;
    loras.push({ model, strengthModel, strengthClip });
  }
  return { ok: true, value: { checkpoint, loras } };
}

/** Discord facts stored on the row so the scheduler can answer later without the bot. */
export interface InteractionFacts {
  userId: string;
  guildId: string | null;
  channelId: string;
  applicationId: string;
  interactionId: string;
  interactionToken: string;
  /** When Discord created the interaction; its token lives 15 minutes from then. */
  createdAt: Date;
  /** The upload cap Discord stated on the interaction (bytes), when it stated one. */
  attachmentSizeLimit?: number | null;
}

export const interactionTokenLifetimeMs = 15 * 60 * 1000;

function familyDefaultSide(baseFamily: string | null): number {
  return baseFamily === 'sd15' || baseFamily === 'sd2' ? 512 : 1024;
}

/** The generation row for a checked request, with the checkpoint's defaults filling the gaps. Pure apart from the id. */
export function toNewGeneration(request: ImagineRequest, models: CheckedModels, facts: InteractionFacts, id: string = randomUUID()): NewGeneration {
  const cp = models.checkpoint;
  const side = familyDefaultSide(cp.baseFamily);
  const loras: LoraChoice[] = models.loras.map((l) => ({ name: l.model.fileName, strengthModel: l.strengthModel, strengthClip: l.strengthClip }));
  return {
    id,
    userId: facts.userId,
    guildId: facts.guildId,
    channelId: facts.channelId,
    applicationId: facts.applicationId,
    interactionId: facts.interactionId,
    interactionToken: facts.interactionToken,
    interactionTokenExpiresAt: new Date(facts.createdAt.getTime() + interactionTokenLifetimeMs),
    attachmentSizeLimit: facts.attachmentSizeLimit ?? null,
    prompt: request.prompt,
    negativePrompt: request.negative,
    checkpoint: cp.fileName,
    loras,
    vae: null,
    width: request.size?.width ?? cp.defaultWidth ?? side,
    height: request.size?.height ?? cp.defaultHeight ?? side,
    batchSize: request.batch,
    seed: request.seed,
    steps: request.steps ?? cp.defaultSteps ?? 25,
    cfg: request.cfg ?? cp.defaultCfg ?? 7,
    sampler: request.sampler ?? cp.defaultSampler ?? 'euler',
    scheduler: request.scheduler ?? cp.defaultScheduler ?? 'normal',
    denoise: 1,
    workflowTemplate: 'txt2img',
    workflowVersionId: null,
    parentId: null,
  };
}
