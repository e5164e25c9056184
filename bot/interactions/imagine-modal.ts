import { ComponentType, TextInputStyle, type APIModalInteractionResponseCallbackData } from 'discord-api-types/v10';
import type { ModalSubmitInteraction } from 'discord.js';
import { CustomIdAction, decodeCustomId, encodeCustomId } from '../custom-id.ts';
import type { ModalHandler } from '../handler-types.ts';
import { startFromAttachment } from '../images/picture-start.ts';
import { invalidOption, submitImagine } from '../services/submit-imagine.ts';
import { imagineLimits } from '../validation/imagine-options.ts';
import { parseStrength, strengthWithoutImage } from '../validation/strength.ts';
import { decodeCarry, encodeCarry, type CarriedOptions, type ImagineCarry } from './imagine-carry.ts';

export const modalFields = { prompt: 'prompt', negative: 'negative', loras: 'loras', image: 'image' } as const;

/** The long-prompt form: prompt, negative prompt and a LoRA list; other options ride in the custom_id. Pure. */
export function imagineModal(carry: ImagineCarry, prefill: { loras?: string } = {}): APIModalInteractionResponseCallbackData {
  const input = (customId: string, style: TextInputStyle, required: boolean, maxLength: number, extra: Record<string, unknown> = {}) => ({
    type: ComponentType.TextInput, custom_id: customId, style, required, max_length: maxLength, ...extra,
  });
  return {
    custom_id: encodeCustomId(CustomIdAction.ImagineModal, encodeCarry(carry)),
    title: 'Imagine',
    components: [
      {
        type: ComponentType.Label, label: 'Prompt', description: 'What should the image show?',
        component: input(modalFields.prompt, TextInputStyle.Paragraph, true, imagineLimits.promptMax, { min_length: 1 }),
      },
      {
        type: ComponentType.Label, label: 'Negative prompt', description: 'What to keep out (optional)',
        component: input(modalFields.negative, TextInputStyle.Paragraph, false, imagineLimits.negativeMax),
      },
      {
        type: ComponentType.Label, label: 'LoRAs', description: 'Optional, e.g. name:0.8, other:0.5',
        component: input(modalFields.loras, TextInputStyle.Short, false, 1000, {
          placeholder: 'name:0.8, other:0.5', ...(prefill.loras ? { value: prefill.loras } : {}),
        }),
      },
      {
        type: ComponentType.Label, label: 'Picture to start from', description: 'Optional: image to image (PNG, JPEG, WebP or GIF)',
        component: { type: ComponentType.FileUpload, custom_id: modalFields.image, required: false, min_values: 0, max_values: 1 },
      },
    ],
  } as APIModalInteractionResponseCallbackData;
}

function field(interaction: ModalSubmitInteraction, id: string): string | null {
  try {
    return interaction.fields.getTextInputValue(id);
  } catch {
    return null;
  }
}

/** Submitting the /imagine modal goes through the same path as the slash command. */
export const imagineModalHandler: ModalHandler<CarriedOptions> = {
  action: CustomIdAction.ImagineModal,
  parse(customId) {
    return decodeCarry(decodeCustomId(customId).id);
  },
  async run(interaction, { strength, ...carried }, ctx) {
    // Discord sends every field of the form; a form shown before the upload existed has none.
    const picture = interaction.fields.fields.has(modalFields.image) ? interaction.fields.getUploadedFiles(modalFields.image, false)?.first() : undefined;
    const checked = parseStrength(strength);
    if (!checked.ok) throw invalidOption(checked.problem);
    if (!picture && strength !== undefined) throw invalidOption(strengthWithoutImage);
    const start = picture ? startFromAttachment(picture, interaction.user.id, checked.value, ctx) : undefined;
    await submitImagine(
      interaction,
      {
        ...carried,
        prompt: field(interaction, modalFields.prompt),
        negative: field(interaction, modalFields.negative),
        loras: field(interaction, modalFields.loras),
      },
      ctx,
      start ? { start } : {},
    );
  },
};
