import type { GenerationRow } from '#shared/db/repositories/generation-repository.ts';
import { AppError, ErrorCode } from '#shared/errors.ts';
import { CustomIdAction, decodeCustomId, parsePageId } from '../custom-id.ts';
import type { ComponentHandler } from '../handler-types.ts';
import type { ImageInputSettings, StartImage } from '../images/image-input.ts';
import { generationForButton } from '../services/generation-access.ts';
import { submitImagine } from '../services/submit-imagine.ts';
import { upscaledSize } from '../validation/image-size.ts';
import { optionsOf } from './regenerate.ts';

export interface OutputTarget {
  generationId: string;
  index: number;
}

type Plan = { start: StartImage; sameSeed: boolean };

/** The shown output as a stored picture; a refusal when it is no longer stored. */
function storedOutput(g: GenerationRow, index: number): { key: string; width: number; height: number } {
  const o = g.outputs.find((x) => x.index === index && x.status === 'stored');
  if (!o?.path) throw new AppError(ErrorCode.Gone, `Image ${index + 1} of this request is no longer stored.`, { expose: true, details: { generationId: g.id, index } });
  return { key: o.path, width: o.width ?? g.width, height: o.height ?? g.height };
}

function fromOutputHandler(action: typeof CustomIdAction.Upscale | typeof CustomIdAction.Vary, doing: string, plan: (g: GenerationRow, index: number, s: ImageInputSettings) => Plan): ComponentHandler<OutputTarget> {
  return {
    action,
    parse(customId) {
      return parsePageId(decodeCustomId(customId).id);
    },
    async run(interaction, { generationId, index }, ctx) {
      // Only the owner, as with 🔁 🎲: a new request counted against the presser's own limits.
      const parent = await generationForButton(interaction, generationId, ctx, { audience: 'owner', doing });
      const { start, sameSeed } = plan(parent, index, ctx.imageInput);
      // The built-in image to image / upscale, whatever workflow made the parent.
      const options = { ...optionsOf(parent, sameSeed), workflow: null, size: `${start.width}x${start.height}`, batch: 1 };
      await submitImagine(interaction, options, ctx, { parentId: parent.id, start: async () => start });
    },
  };
}

/**
 * ⬆ a larger version of the shown image: twice the size (within /imagine's limits), enlarged in
 * latent space and redrawn by a second pass at UPSCALE_STRENGTH with the same prompt and seed.
 */
export const upscaleHandler = fromOutputHandler(CustomIdAction.Upscale, 'upscale it', (g, index, s) => {
  const picture = storedOutput(g, index);
  const size = upscaledSize(picture.width, picture.height);
  if (!size) {
    throw new AppError(ErrorCode.Validation, `This image is ${picture.width}×${picture.height}, already as large as /imagine allows.`, { expose: true, details: { generationId: g.id, index } });
  }
  return { sameSeed: true, start: { key: picture.key, template: 'upscale', denoise: s.upscaleStrength, ...size } };
});

/** 🔀 a variation of the shown image: image to image from it at VARY_STRENGTH with a new seed. */
export const varyHandler = fromOutputHandler(CustomIdAction.Vary, 'make variations of it', (g, index, s) => {
  const picture = storedOutput(g, index);
  return { sameSeed: false, start: { key: picture.key, template: 'img2img', denoise: s.varyStrength, width: g.width, height: g.height } };
});
