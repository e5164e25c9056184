import type { ChatInputCommandInteraction, MessageComponentInteraction, ModalSubmitInteraction } from 'discord.js';
import { statedUploadCap } from '#shared/discord/upload-cap.ts';
import { AppError, ErrorCode } from '#shared/errors.ts';
import type { BotContext } from '../context.ts';
import { queuedMessage, type MessageBody } from '#shared/render/queued-message.ts';
import { followUpQueued, isDiscordOutage } from '../respond/follow-up-queued.ts';
import { deferAfterFor, replyInTime } from '../respond/reply-in-time.ts';
import { GenerationRepository } from '#shared/db/repositories/generation-repository.ts';
import { checkModels, toNewGeneration } from '../validation/apply-models.ts';
import { allowedValues, parseImagineOptions, type OptionProblem, type RawImagineOptions } from '../validation/imagine-options.ts';
import { truncate } from '#shared/render/limits.ts';
import { sizeForPicture } from '../validation/image-size.ts';
import type { StartImage } from '../images/image-input.ts';
import { isNsfwChannel } from './channel-nsfw.ts';
import { memberRoleIds } from './member-roles.ts';
import { lookupModels } from './registry-lookup.ts';
import { lookupStorageNotice } from './storage-notice-lookup.ts';
import { findUsableWorkflow, type UsableWorkflow } from './workflow-lookup.ts';

const batchWithPicture: OptionProblem = {
  option: 'batch', allowed: '1 when starting from a picture', message: '`batch`: starting from a picture makes one image at a time. Leave `batch` out.',
};

export function invalidOption(problem: OptionProblem): AppError {
  return new AppError(ErrorCode.Validation, problem.message, { expose: true, details: { option: problem.option, allowed: problem.allowed } });
}

/** The workflow template a request names, if the member may use it; a refusal otherwise. */
export async function resolveWorkflow(ctx: BotContext, workflow: string, roleIds: string[]): Promise<UsableWorkflow> {
  const found = await findUsableWorkflow(ctx.db, workflow, roleIds);
  if (!found) {
    const shown = workflow.startsWith('#') ? 'that workflow' : `"${truncate(workflow, 64)}"`;
    throw invalidOption({ option: 'workflow', allowed: allowedValues.workflow, message: `\`workflow\`: ${shown} does not exist, is switched off, or is not open to your roles. Pick one from the list.` });
  }
  return found;
}

/**
 * The one path from options to a queued generation, shared by the slash command, the modal and the
 * 🔁 🎲 ⬆ 🔀 buttons (which pass `parentId`), with `start` the picture to begin from: validate, check models, check and consume limits, insert
 * row + job in one transaction, reply "Queued — #N in line". A reply Discord fails (5xx) after the
 * request was queued is followed up once Discord answers, never queued again.
 */
export async function submitImagine(
  interaction: ChatInputCommandInteraction | ModalSubmitInteraction | MessageComponentInteraction,
  raw: RawImagineOptions,
  ctx: BotContext,
  opts: { parentId?: string; start?: () => Promise<StartImage> } = {},
): Promise<void> {
  const parsed = parseImagineOptions(raw);
  if (!parsed.ok) throw invalidOption(parsed.problem);
  let request = parsed.value;
  if (opts.start && request.batch > 1) throw invalidOption(batchWithPicture);
  const roleIds = memberRoleIds(interaction);
  const log = ctx.logger.child({ interactionId: interaction.id });
  let generationId = '';
  let queuedBody: MessageBody | undefined;
  const reply = replyInTime(
    interaction,
    async () => {
      // Downloading and checking a picture takes a while: inside the deferral.
      const start = opts.start ? await opts.start() : undefined;
      if (start && !request.size) request = { ...request, size: sizeForPicture(start.width, start.height) };
      // Read beside the rest rather than after the enqueue: one round trip fewer before the reply.
      const notice = lookupStorageNotice(ctx.db, log);
      const allowNsfw = await isNsfwChannel(interaction);
      const checked = checkModels(request, await lookupModels(ctx.db, request, { allowNsfw, guildId: interaction.guildId, roleIds }), allowNsfw);
      if (!checked.ok) throw invalidOption(checked.problem);
      const workflow = request.workflow ? await resolveWorkflow(ctx, request.workflow, roleIds) : undefined;
      if (workflow && !workflow.takesLoras && request.loras.length > 0) {
        const option = request.loras.length > 1 ? 'loras' : 'lora';
        throw invalidOption({ option, allowed: allowedValues[option], message: `\`${option}\`: the workflow ${workflow.name} takes no LoRAs. Leave them out or pick another workflow.` });
      }
      if (workflow && start && !workflow.takesImage) {
        throw invalidOption({ option: 'image', allowed: 'a picture, with a workflow that takes one', message: `\`image\`: the workflow ${workflow.name} takes no picture. Leave \`image\` out or pick another workflow.` });
      }
      const generation = toNewGeneration(request, checked.value, {
        userId: interaction.user.id,
        guildId: interaction.guildId,
        channelId: interaction.channelId ?? '0',
        applicationId: interaction.applicationId,
        interactionId: interaction.id,
        interactionToken: interaction.token,
        createdAt: interaction.createdAt,
        attachmentSizeLimit: statedUploadCap(interaction.attachmentSizeLimit),
      });
      if (opts.parentId) generation.parentId = opts.parentId;
      if (workflow) Object.assign(generation, { workflowTemplate: workflow.name, workflowVersionId: workflow.versionId });
      // A picture with an uploaded workflow goes to its init image binding; otherwise the built-in img2img / upscale.
      if (start) Object.assign(generation, { initImageKey: start.key, denoise: start.denoise, ...(workflow ? {} : { workflowTemplate: start.template }) });
      // The guild's moderation screens it and the limits are checked and consumed in the enqueue
      // transaction; a refusal is an exposed ModerationError or LimitError.
      const queued = await ctx.enqueuer.enqueue(generation, { roleIds });
      generationId = queued.generation.id;
      log.info({ generationId, jobId: queued.jobId, position: queued.position, parentId: opts.parentId }, 'generation queued');
      // The limiter's count of everyone waiting (no line scan here): an upper bound the scheduler
      // replaces with the real place and an ETA once the reply exists (see ctx.replies below).
      queuedBody = queuedMessage(queued.generation, { ahead: queued.position - 1, capped: false }, await notice);
      return queuedBody;
    },
    log,
    deferAfterFor(interaction.createdTimestamp, ctx.deferAfterMs),
  );
  let messageId: string | null;
  try {
    messageId = await reply;
  } catch (err) {
    if (!queuedBody || !isDiscordOutage(err)) throw err;
    log.warn({ err, generationId }, 'Discord failed the first reply after the request was queued; following up once it answers');
    const id = generationId;
    const stillWaiting = async () => ['queued', 'running'].includes((await new GenerationRepository(ctx.db).get(id)).status);
    messageId = await followUpQueued(interaction, queuedBody, id, log, stillWaiting);
  }
  // Now that the reply exists the scheduler can show its real place and ETA (and those it moved
  // back, fair order lets a newcomer's first request pass a heavy user's later ones); its message id,
  // when Discord said it (a deferred reply's edit, a follow-up), is stored for edits after the token
  // expires (the others' ids are asked for later, see replyInTime). Batched with the other replies of the moment.
  if (generationId) await ctx.replies.record(generationId, messageId);
}
