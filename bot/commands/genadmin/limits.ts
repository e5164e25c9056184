import { ApplicationCommandOptionType, type ChatInputCommandInteraction } from 'discord.js';
import type { APIApplicationCommandSubcommandGroupOption } from 'discord-api-types/v10';
import { AppError, ErrorCode } from '#shared/errors.ts';
import { discordActor } from '#shared/moderation/guild-store.ts';
import { limitFields, type Limits, type PolicyValues } from '#shared/limits/policy.ts';
import { readPolicy, writePolicy, type PolicyChange, type PolicyScope } from '#shared/limits/policy-store.ts';
import type { BotContext } from '../../context.ts';
import { clearChoices, limitOptionNames, limitValueOptions, roleOption } from './options.ts';
import { replyPrivately } from './reply.ts';

export const limitsGroup: APIApplicationCommandSubcommandGroupOption = {
  type: ApplicationCommandOptionType.SubcommandGroup, name: 'limits', description: 'Image limits for this server or one of its roles',
  options: [
    { type: ApplicationCommandOptionType.Subcommand, name: 'view', description: 'What is set for the server or a role, and what applies', options: [roleOption] },
    {
      type: ApplicationCommandOptionType.Subcommand, name: 'set', description: 'Set limits for the server or a role (0 = no cap)',
      options: [
        roleOption,
        ...limitValueOptions,
        { type: ApplicationCommandOptionType.Boolean, name: 'blocked', description: 'Nobody in this scope may generate images' },
        { type: ApplicationCommandOptionType.String, name: 'clear', description: 'Unset a field here (the wider scope decides again)', choices: clearChoices.map((c) => ({ name: c, value: c })) },
      ],
    },
  ],
};

/** The scope the command names: a role, or the server (also for @everyone, whose id is the guild's). */
function scopeOf(interaction: ChatInputCommandInteraction): { scope: PolicyScope; label: string } {
  const guildId = interaction.guildId!;
  // The option's value is the role id; the resolved role object is not needed.
  const roleId = interaction.options.get('role')?.value;
  if (roleId === undefined || roleId === guildId) return { scope: { scope: 'guild', guildId, subjectId: '' }, label: 'this server' };
  if (typeof roleId !== 'string' || !/^\d{17,20}$/.test(roleId)) throw new AppError(ErrorCode.Validation, '`role`: that is not a role of this server.', { expose: true });
  return { scope: { scope: 'role', guildId, subjectId: roleId }, label: `<@&${roleId}>` };
}

const shown = (v: number | boolean | null) =>
  v === null ? 'not set' : v === true ? 'blocked' : v === false ? 'not blocked' : v === 0 ? 'no cap' : v.toLocaleString('en-US');
const fieldName = (f: keyof PolicyValues) => (f === 'blocked' ? 'blocked' : limitOptionNames[f].name);
const allFields: (keyof PolicyValues)[] = [...limitFields, 'blocked'];

/** What applies to someone in this scope (no user policy): the same resolution the limiter uses. */
async function effective(ctx: BotContext, s: PolicyScope): Promise<Limits> {
  const [limits] = await ctx.limiter.limitsFor(ctx.db, [{ userId: '', guildId: s.guildId, roleIds: s.scope === 'role' ? [s.subjectId] : [] }]);
  return limits!;
}

async function view(interaction: ChatInputCommandInteraction, ctx: BotContext): Promise<void> {
  const { scope, label } = scopeOf(interaction);
  const [stored, applies] = await Promise.all([readPolicy(ctx.db, scope), effective(ctx, scope)]);
  const lines = allFields.map((f) => {
    const here = stored?.[f] ?? null;
    return here === null ? `${fieldName(f)}: not set here (${shown(applies[f])} applies)` : `${fieldName(f)}: **${shown(here)}** (set here)`;
  });
  await replyPrivately(interaction, `**Limits for ${label}**\n${lines.join('\n')}\n-# A member's own limits, then their roles (the most generous), then the server's, then the defaults decide.`);
}

function changeFrom(interaction: ChatInputCommandInteraction): PolicyChange {
  const o = interaction.options;
  const change: PolicyChange = {};
  for (const f of limitFields) {
    const v = o.getInteger(limitOptionNames[f].name);
    if (v !== null) change[f] = v;
  }
  const blocked = o.getBoolean('blocked');
  if (blocked !== null) change.blocked = blocked;
  const clear = o.getString('clear');
  if (clear === 'all') for (const f of allFields) change[f] = null;
  else if (clear) {
    const f = allFields.find((x) => fieldName(x) === clear);
    if (f) change[f] = null;
  }
  return change;
}

async function set(interaction: ChatInputCommandInteraction, ctx: BotContext): Promise<void> {
  const { scope, label } = scopeOf(interaction);
  const change = changeFrom(interaction);
  if (!Object.keys(change).length) {
    await replyPrivately(interaction, 'Nothing to change: give at least one limit, `blocked` or `clear`.');
    return;
  }
  const { before, after } = await writePolicy(ctx.pool, scope, change, discordActor(interaction.user.id));
  const diffs = allFields
    .filter((f) => (before?.[f] ?? null) !== (after?.[f] ?? null))
    .map((f) => `${fieldName(f)}: ${shown(before?.[f] ?? null)} → **${shown(after?.[f] ?? null)}**`);
  await replyPrivately(interaction, diffs.length ? `Limits for ${label} changed (applies to the next request):\n${diffs.join('\n')}` : `Limits for ${label} were already so; nothing changed.`);
}

export async function runLimits(interaction: ChatInputCommandInteraction, ctx: BotContext): Promise<void> {
  if (interaction.options.getSubcommand() === 'view') await view(interaction, ctx);
  else await set(interaction, ctx);
}
