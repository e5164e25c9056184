import type { BaseInteraction } from 'discord.js';
import { checkRequest, type RequestShape } from '#shared/limits/check-request.ts';
import { LimitError } from '#shared/limits/limit-error.ts';
import { ModerationError } from '#shared/moderation/refusal.ts';
import { loadGuildRules } from '#shared/moderation/rules.ts';
import type { BotContext } from '../context.ts';
import { memberRoleIds } from './member-roles.ts';

/**
 * Refuses what the member's policy forbids whatever else happens (blocked, or a batch, steps or
 * size given on the command over their caps) before the form opens, so nobody types a long prompt
 * for nothing; the same for a guild whose moderators paused generation. Unknown values are passed
 * as 0 and checked again at enqueue.
 */
export async function precheckPolicy(ctx: BotContext, interaction: BaseInteraction, shape: RequestShape): Promise<void> {
  const rules = interaction.guildId ? (await loadGuildRules(ctx.db, [interaction.guildId])).get(interaction.guildId) : undefined;
  if (rules?.paused) throw new ModerationError({ kind: 'paused', reason: rules.pauseReason });
  const [limits] = await ctx.limiter.limitsFor(ctx.db, [{ userId: interaction.user.id, guildId: interaction.guildId, roleIds: memberRoleIds(interaction) }]);
  const refusal = checkRequest(limits!, shape);
  if (refusal) throw new LimitError(refusal, new Date());
}
