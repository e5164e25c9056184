import { ApplicationCommandOptionType, InteractionContextType, type ChatInputCommandInteraction } from 'discord.js';
import { ApplicationCommandType, type RESTPostAPIChatInputApplicationCommandsJSONBody } from 'discord-api-types/v10';
import { comfySamplers, comfySchedulers } from '#shared/comfyui-lists.ts';
import type { BotContext } from '../context.ts';
import type { SlashCommand } from '../handler-types.ts';
import { imagineModal } from '../interactions/imagine-modal.ts';
import { guildOnly } from '../preconditions/guild-only.ts';
import { isNsfwChannel } from '../services/channel-nsfw.ts';
import { memberRoleIds } from '../services/member-roles.ts';
import { precheckPolicy } from '../services/policy-precheck.ts';
import { findModel, lookupRegistryState, modelChoicesFor } from '../services/registry-lookup.ts';
import { invalidOption, resolveWorkflow, submitImagine } from '../services/submit-imagine.ts';
import { workflowChoices } from '../services/workflow-lookup.ts';
import { loraLimits } from '../validation/lora-list.ts';
import { parseImagineOptions, imagineLimits, optionProblem, type RawImagineOptions } from '../validation/imagine-options.ts';
import { emptyChoicesHint } from '../validation/registry-state.ts';
import { defaultStrength, parseStrength, strengthLimits, strengthWithoutImage } from '../validation/strength.ts';
import { startFromAttachment } from '../images/picture-start.ts';
import { sizePresets } from '../validation/size.ts';
import { formatLoraList } from '../validation/lora-list.ts';
import { autocompleteLimits, truncate } from '#shared/render/limits.ts';

const S = ApplicationCommandOptionType.String;

export const imagineData: RESTPostAPIChatInputApplicationCommandsJSONBody = {
  type: ApplicationCommandType.ChatInput,
  name: 'imagine',
  description: 'Generate an image from a text prompt',
  contexts: [InteractionContextType.Guild],
  options: [
    // Not required: leaving it out opens a form for long prompts and several LoRAs.
    { type: S, name: 'prompt', description: 'What the image should show (leave empty for a larger form)', max_length: imagineLimits.promptMax },
    { type: S, name: 'negative', description: 'What to keep out of the image', max_length: imagineLimits.negativeMax },
    { type: S, name: 'model', description: 'Checkpoint to use', autocomplete: true },
    { type: S, name: 'lora', description: 'A LoRA to apply', autocomplete: true },
    {
      type: ApplicationCommandOptionType.Number, name: 'lora_strength', description: 'LoRA strength (default: the LoRA\'s own)',
      min_value: loraLimits.minStrength, max_value: loraLimits.maxStrength,
    },
    { type: S, name: 'size', description: 'WIDTHxHEIGHT, e.g. 1024x1024', autocomplete: true, max_length: 11 },
    {
      type: ApplicationCommandOptionType.Integer, name: 'steps', description: 'Sampling steps',
      min_value: imagineLimits.steps.min, max_value: imagineLimits.steps.max,
    },
    { type: ApplicationCommandOptionType.Number, name: 'cfg', description: 'Prompt guidance (CFG)', min_value: imagineLimits.cfg.min, max_value: imagineLimits.cfg.max },
    // 42 samplers exceed Discord's 25 choices, so they come through autocomplete.
    { type: S, name: 'sampler', description: 'Sampler', autocomplete: true },
    { type: S, name: 'scheduler', description: 'Noise schedule', choices: comfySchedulers.map((s) => ({ name: s, value: s })) },
    // A string: Discord integers stop at 2^53, seeds go to 2^64 - 1.
    { type: S, name: 'seed', description: 'Seed (0 to 18446744073709551615; random if empty)', max_length: 20 },
    {
      type: ApplicationCommandOptionType.Integer, name: 'batch', description: 'How many images',
      min_value: imagineLimits.batch.min, max_value: imagineLimits.batch.max,
    },
    { type: ApplicationCommandOptionType.Attachment, name: 'image', description: 'A picture to start from (image to image)' },
    {
      type: ApplicationCommandOptionType.Number, name: 'strength', description: `How much to change the picture (default ${defaultStrength})`,
      min_value: strengthLimits.min, max_value: strengthLimits.max,
    },
    { type: S, name: 'workflow', description: 'A workflow your server uploaded (default: plain text to image)', autocomplete: true, max_length: 64 },
  ],
};

/** Every option exactly as given; Discord's own min/max checks are repeated by the validator. */
function readOptions(interaction: ChatInputCommandInteraction): RawImagineOptions {
  const o = interaction.options;
  return {
    prompt: o.getString('prompt'),
    negative: o.getString('negative'),
    model: o.getString('model'),
    lora: o.getString('lora'),
    lora_strength: o.getNumber('lora_strength'),
    size: o.getString('size'),
    steps: o.getInteger('steps'),
    cfg: o.getNumber('cfg'),
    sampler: o.getString('sampler'),
    scheduler: o.getString('scheduler'),
    seed: o.getString('seed'),
    batch: o.getInteger('batch'),
    workflow: o.getString('workflow'),
  };
}

/** The `image` option as a starting point at `strength`; undefined without one. */
function readPicture(interaction: ChatInputCommandInteraction, ctx: BotContext) {
  const image = interaction.options.getAttachment('image');
  const strength = interaction.options.getNumber('strength');
  const checked = parseStrength(strength);
  if (!checked.ok) throw invalidOption(checked.problem);
  if (!image) {
    // Without a prompt the form opens, where a picture can be attached: the strength rides along.
    if (strength !== null && interaction.options.getString('prompt')?.trim()) throw invalidOption(strengthWithoutImage);
    return undefined;
  }
  return startFromAttachment(image, interaction.user.id, checked.value, ctx);
}

/** No prompt: check the other options now, then open the form carrying them. */
async function openModal(interaction: ChatInputCommandInteraction, raw: RawImagineOptions, ctx: BotContext, strength: number | undefined): Promise<void> {
  const checked = parseImagineOptions({ ...raw, prompt: 'placeholder' }, () => '');
  if (!checked.ok) throw invalidOption(checked.problem);
  const v = checked.value;
  await precheckPolicy(ctx, interaction, { images: v.batch, steps: v.steps ?? 0, width: v.size?.width ?? 0, height: v.size?.height ?? 0 });
  let modelId: number | undefined;
  if (v.model) {
    const model = await findModel(ctx.db, 'checkpoint', v.model);
    if (!model) throw invalidOption({ ...optionProblem('model'), message: `\`model\`: there is no checkpoint called "${truncate(v.model, 100)}". Pick one from the list.` });
    modelId = model.id;
  }
  const workflowId = v.workflow ? (await resolveWorkflow(ctx, v.workflow, memberRoleIds(interaction))).id : undefined;
  await interaction.showModal(
    imagineModal(
      {
        modelId,
        size: v.size ?? undefined,
        steps: v.steps ?? undefined,
        cfg: v.cfg ?? undefined,
        sampler: v.sampler ?? undefined,
        scheduler: v.scheduler ?? undefined,
        seed: raw.seed ? v.seed : undefined,
        batch: raw.batch ? v.batch : undefined,
        strength,
        workflowId,
      },
      { loras: formatLoraList(v.loras) },
    ),
  );
}

function startsOrContains(values: readonly string[], typed: string): string[] {
  const t = typed.trim().toLowerCase();
  return [...values.filter((v) => v.toLowerCase().startsWith(t)), ...values.filter((v) => !v.toLowerCase().startsWith(t) && v.toLowerCase().includes(t))];
}

export const imagine: SlashCommand = {
  data: imagineData,
  preconditions: [guildOnly],
  async run(interaction, ctx) {
    const raw = readOptions(interaction);
    const picture = readPicture(interaction, ctx);
    if (!raw.prompt?.trim()) {
      // The form cannot carry an attachment: a picture needs its prompt in the command.
      if (picture) throw invalidOption({ ...optionProblem('prompt'), message: '`prompt`: give a prompt with `image`, or leave `image` out and attach the picture in the form.' });
      return openModal(interaction, raw, ctx, interaction.options.getNumber('strength') ?? undefined);
    }
    await submitImagine(interaction, raw, ctx, picture ? { start: picture } : {});
  },
  async autocomplete(interaction, ctx) {
    const focused = interaction.options.getFocused(true);
    const typed = String(focused.value);
    const nsfw = isNsfwChannel(interaction);
    let choices: { name: string; value: string }[] = [];
    if (focused.name === 'model' || focused.name === 'lora') {
      const kind = focused.name === 'model' ? 'checkpoint' : 'lora';
      choices = await modelChoicesFor(ctx.db, kind, typed, { allowNsfw: nsfw, guildId: interaction.guildId, roleIds: memberRoleIds(interaction) });
      if (!choices.length && !typed.trim()) choices = emptyChoicesHint(kind, await lookupRegistryState(ctx.db));
    } else if (focused.name === 'sampler') choices = startsOrContains(comfySamplers, typed).map((s) => ({ name: s, value: s }));
    else if (focused.name === 'workflow') choices = await workflowChoices(ctx.db, typed, memberRoleIds(interaction));
    else if (focused.name === 'size') {
      const t = typed.trim().toLowerCase();
      choices = sizePresets.filter((p) => !t || p.value.includes(t) || p.label.toLowerCase().includes(t)).map((p) => ({ name: p.label, value: p.value }));
    }
    await interaction.respond(choices.slice(0, autocompleteLimits.choices).map((c) => ({ name: truncate(c.name, autocompleteLimits.choiceName), value: c.value })));
  },
};
