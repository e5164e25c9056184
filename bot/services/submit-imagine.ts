import type { ChatInputCommandInteraction, MessageComponentInteraction, ModalSubmitInteraction } from 'discord.js';
import { statedUploadCap } from '#shared/discord/upload-cap.ts';
import { AppError, ErrorCode } from '#shared/errors.ts';
import type { BotContext } from '../context.ts';
import { queuedMessage, type MessageBody } from '#shared/render/queued-message.ts';
import { followUpQueued, isDiscordOutage } from '../respond/follow-up-queued.ts';
import { replyInTime } from '../respond/reply-in-time.ts';
import { GenerationRepository } from '#shared/db/repositories/generation-repository.ts';
import { checkModels, toNewGeneration } from '../validation/apply-models.ts';
import { parseImagineOptions, type OptionProblem, type RawImagineOptions } from '../validation/imagine-options.ts';
import { isNsfwChannel } from './channel-nsfw.ts';
import { memberRoleIds } from './member-roles.ts';
import { lookupModels } from './registry-lookup.ts';

export function invalidOption(problem: OptionProblem): AppError {
  return new AppError(ErrorCode.Validation, problem.message, { expose: true, details: { option: problem.option, allowed: problem.allowed } });
}

/**
 * The one path from options to a queued generation, shared by the slash command, the modal and the
 * 🔁 🎲 buttons (which pass `parentId`): validate, check models, check and consume limits, insert
 * row + job in one transaction, reply "Queued — #N in line". A reply Discord fails (5xx) after the
 * request was queued is followed up once Discord answers, never queued again.
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
  const roleIds = memberRoleIds(interaction);
  const log = ctx.logger.child({ interactionId: interaction.id });
  let generationId = '';
  let queuedBody: MessageBody | undefined;
  const reply = replyInTime(
    interaction,
    async () => {
      const allowNsfw = await isNsfwChannel(interaction);
      const checked = checkModels(request, await lookupModels(ctx.db, request, { allowNsfw, guildId: interaction.guildId, roleIds }), allowNsfw);
      if (!checked.ok) throw invalidOption(checked.problem);
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
      // The guild's moderation screens it and the limits are checked and consumed in the enqueue
      // transaction; a refusal is an exposed ModerationError or LimitError.
      const queued = await ctx.enqueuer.enqueue(generation, { roleIds });
      generationId = queued.generation.id;
      log.info({ generationId, jobId: queued.jobId, position: queued.position, parentId: opts.parentId }, 'generation queued');
      // The limiter's count of everyone waiting (no line scan here): an upper bound the scheduler
      // replaces with the real place and an ETA once the reply exists (see ctx.replies below).
      queuedBody = queuedMessage(queued.generation, { ahead: queued.position - 1, capped: false });
      return queuedBody;
    },
    log,
    ctx.deferAfterMs,
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
  // back, fair order lets a newcomer's first request pass a heavy user's later ones); its message id
  // is stored for edits after the token expires. Batched with the other replies of the moment.
  if (generationId) await ctx.replies.record(generationId, messageId);
}
