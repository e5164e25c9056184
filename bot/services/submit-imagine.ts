import type { ChatInputCommandInteraction, MessageComponentInteraction, ModalSubmitInteraction } from 'discord.js';
import { AppError, ErrorCode } from '#shared/errors.ts';
import type { BotContext } from '../context.ts';
import { setGenerationMessage } from '../db/generation-queries.ts';
import { queuedMessage } from '../embeds/queued-embed.ts';
import { replyInTime } from '../respond/reply-in-time.ts';
import { checkModels, toNewGeneration } from '../validation/apply-models.ts';
import { allowedValues, parseImagineOptions, type OptionProblem, type RawImagineOptions } from '../validation/imagine-options.ts';
import { truncate } from '#shared/render/limits.ts';
import { isNsfwChannel } from './channel-nsfw.ts';
import { memberRoleIds } from './member-roles.ts';
import { lookupModels } from './registry-lookup.ts';
import { findUsableWorkflow, type UsableWorkflow } from './workflow-lookup.ts';

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
 * 🔁 🎲 buttons (which pass `parentId`): validate, check models, check and consume limits, insert
 * row + job in one transaction, reply "Queued — #N in line".
 */
export async function submitImagine(
  interaction: ChatInputCommandInteraction | ModalSubmitInteraction | MessageComponentInteraction,
  raw: RawImagineOptions,
  ctx: BotContext,
  opts: { parentId?: string } = {},
): Promise<void> {
  const parsed = parseImagineOptions(raw);
  if (!parsed.ok) throw invalidOption(parsed.problem);
  const request = parsed.value;
  const allowNsfw = isNsfwChannel(interaction);
  const roleIds = memberRoleIds(interaction);
  const log = ctx.logger.child({ interactionId: interaction.id });
  let generationId = '';
  const messageId = await replyInTime(
    interaction,
    async () => {
      const checked = checkModels(request, await lookupModels(ctx.db, request, { allowNsfw, guildId: interaction.guildId, roleIds }), allowNsfw);
      if (!checked.ok) throw invalidOption(checked.problem);
      const workflow = request.workflow ? await resolveWorkflow(ctx, request.workflow, roleIds) : undefined;
      if (workflow && !workflow.takesLoras && request.loras.length > 0) {
        const option = request.loras.length > 1 ? 'loras' : 'lora';
        throw invalidOption({ option, allowed: allowedValues[option], message: `\`${option}\`: the workflow ${workflow.name} takes no LoRAs. Leave them out or pick another workflow.` });
      }
      const generation = toNewGeneration(request, checked.value, {
        userId: interaction.user.id,
        guildId: interaction.guildId,
        channelId: interaction.channelId ?? '0',
        applicationId: interaction.applicationId,
        interactionId: interaction.id,
        interactionToken: interaction.token,
        createdAt: interaction.createdAt,
      });
      if (opts.parentId) generation.parentId = opts.parentId;
      if (workflow) Object.assign(generation, { workflowTemplate: workflow.name, workflowVersionId: workflow.versionId });
      // The guild's moderation screens it and the limits are checked and consumed in the enqueue
      // transaction; a refusal is an exposed ModerationError or LimitError.
      const queued = await ctx.enqueuer.enqueue(generation, { roleIds });
      generationId = queued.generation.id;
      log.info({ generationId, jobId: queued.jobId, position: queued.position, parentId: opts.parentId }, 'generation queued');
      return queuedMessage(queued.generation, queued.position);
    },
    log,
    ctx.deferAfterMs,
  );
  if (messageId) {
    const { text, values } = setGenerationMessage(generationId, messageId);
    await ctx.db.executeSql(text, values).catch((err: unknown) => log.warn({ err, generationId }, 'could not store the message id'));
  }
}
