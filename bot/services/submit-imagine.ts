import type { ChatInputCommandInteraction, MessageComponentInteraction, ModalSubmitInteraction } from 'discord.js';
import { AppError, ErrorCode } from '#shared/errors.ts';
import { announceLineMoved } from '#shared/queue/send-live.ts';
import type { BotContext } from '../context.ts';
import { setGenerationMessage } from '../db/generation-queries.ts';
import { queuedMessage } from '#shared/render/queued-message.ts';
import { replyInTime } from '../respond/reply-in-time.ts';
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
      // The guild's moderation screens it and the limits are checked and consumed in the enqueue
      // transaction; a refusal is an exposed ModerationError or LimitError.
      const queued = await ctx.enqueuer.enqueue(generation, { roleIds });
      generationId = queued.generation.id;
      log.info({ generationId, jobId: queued.jobId, position: queued.position, parentId: opts.parentId }, 'generation queued');
      // The limiter's count of everyone waiting (no line scan here): an upper bound the scheduler
      // replaces with the real place and an ETA once the reply exists (see announceLineMoved below).
      return queuedMessage(queued.generation, { ahead: queued.position - 1, capped: false });
    },
    log,
    ctx.deferAfterMs,
  );
  if (messageId) {
    const { text, values } = setGenerationMessage(generationId, messageId);
    await ctx.db.executeSql(text, values).catch((err: unknown) => log.warn({ err, generationId }, 'could not store the message id'));
  }
  // Now that the reply exists the scheduler can show its real place and ETA (and those it moved
  // back, fair order lets a newcomer's first request pass a heavy user's later ones).
  if (generationId) await announceLineMoved(ctx.boss).catch((err: unknown) => log.warn({ err }, 'could not announce the line move'));
}
