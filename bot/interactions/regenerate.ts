import type { GenerationRow } from '#shared/db/repositories/generation-repository.ts';
import { CustomIdAction, decodeCustomId } from '../custom-id.ts';
import type { ComponentHandler } from '../handler-types.ts';
import type { StartImage } from '../images/image-input.ts';
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

function startOf(g: GenerationRow): StartImage | undefined {
  if (!g.initImageKey) return undefined;
  return { key: g.initImageKey, template: g.workflowTemplate === 'upscale' ? 'upscale' : 'img2img', denoise: g.denoise, width: g.width, height: g.height };
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
      // A request that started from a picture starts from the same one again, as strongly.
      const start = startOf(parent);
      await submitImagine(interaction, optionsOf(parent, sameSeed), ctx, { parentId: parent.id, ...(start ? { start: async () => start } : {}) });
    },
  };
}

/** 🔁 the same request again with the same seed (a new reply in the channel, then the result). */
export const sameSeedHandler = regenerateHandler(CustomIdAction.SameSeed);
/** 🎲 the same request with a new random seed. */
export const newSeedHandler = regenerateHandler(CustomIdAction.NewSeed);
