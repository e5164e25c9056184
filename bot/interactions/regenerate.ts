import type { GenerationRow } from '#shared/db/repositories/generation-repository.ts';
import { CustomIdAction, decodeCustomId } from '../custom-id.ts';
import type { ComponentHandler } from '../handler-types.ts';
import { generationForButton } from '../services/generation-access.ts';
import { submitImagine } from '../services/submit-imagine.ts';
import { formatLoraList } from '../validation/lora-list.ts';
import type { RawImagineOptions } from '../validation/imagine-options.ts';

export interface RegenerateTarget {
  generationId: string;
}

/**
 * A generation's parameters as `/imagine` options, so a regeneration is validated, checked against
 * the registry (a model disabled since is refused) and limited exactly like a typed request.
 * `sameSeed: false` leaves the seed out, and the validator draws a new one.
 */
export function optionsOf(g: GenerationRow, sameSeed: boolean): RawImagineOptions {
  return {
    prompt: g.prompt,
    negative: g.negativePrompt,
    model: g.checkpoint,
    loras: g.loras.length ? formatLoraList(g.loras.map((l) => ({ name: l.name, strength: l.strengthModel }))) : null,
    size: `${g.width}x${g.height}`,
    steps: g.steps,
    cfg: g.cfg,
    sampler: g.sampler,
    scheduler: g.scheduler,
    seed: sameSeed ? g.seed : null,
    batch: g.batchSize,
    workflow: g.workflowVersionId ? g.workflowTemplate : null,
  };
}

function regenerateHandler(action: typeof CustomIdAction.SameSeed | typeof CustomIdAction.NewSeed): ComponentHandler<RegenerateTarget> {
  const sameSeed = action === CustomIdAction.SameSeed;
  return {
    action,
    parse(customId) {
      return { generationId: decodeCustomId(customId).id };
    },
    async run(interaction, { generationId }, ctx) {
      // Only the owner: a regeneration is a new request counted against the presser's own limits.
      const parent = await generationForButton(interaction, generationId, ctx, { audience: 'owner', doing: 'make it again' });
      await submitImagine(interaction, optionsOf(parent, sameSeed), ctx, { parentId: parent.id });
    },
  };
}

/** 🔁 the same request again with the same seed (a new reply in the channel, then the result). */
export const sameSeedHandler = regenerateHandler(CustomIdAction.SameSeed);
/** 🎲 the same request with a new random seed. */
export const newSeedHandler = regenerateHandler(CustomIdAction.NewSeed);
