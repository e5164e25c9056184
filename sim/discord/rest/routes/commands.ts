import type { APIApplicationCommand } from 'discord-api-types/v10';
import { DiscordErrors } from '../../errors.ts';
import type { SimState } from '../../state.ts';
import { checkCommandLimits } from '../../validation/limits.ts';
import type { RouteContext, Router } from '../router.ts';

type Input = Partial<APIApplicationCommand> & { name: string };

function scope(state: SimState, ctx: RouteContext): APIApplicationCommand[] {
  if (ctx.params.application_id !== state.applicationId) throw DiscordErrors.unknownWebhook();
  const guildId = ctx.params.guild_id;
  if (guildId && !state.guilds.has(guildId)) throw DiscordErrors.unknownGuild();
  return state.commandsFor(guildId);
}

/** A stored command as Discord returns it; keeps the id of an existing command with the same type and name. */
function toCommand(state: SimState, input: Input, guildId: string | undefined, existing?: APIApplicationCommand): APIApplicationCommand {
  const type = input.type ?? 1;
  const command = {
    id: existing?.id ?? state.ids.next(),
    application_id: state.applicationId,
    version: state.ids.next(),
    type,
    name: input.name,
    name_localizations: input.name_localizations ?? null,
    description: input.description ?? '',
    description_localizations: input.description_localizations ?? null,
    default_member_permissions: input.default_member_permissions ?? null,
    nsfw: input.nsfw ?? false,
    integration_types: input.integration_types ?? [0],
    contexts: input.contexts ?? null,
    ...(input.options ? { options: input.options } : {}),
    ...(guildId ? { guild_id: guildId } : { dm_permission: input.dm_permission ?? true }),
  } as APIApplicationCommand;
  return command;
}

const sameKey = (a: { type?: number; name: string }, b: { type?: number; name: string }) => (a.type ?? 1) === (b.type ?? 1) && a.name === b.name;

export function registerCommandRoutes(router: Router, state: SimState): void {
  for (const base of ['/applications/{application_id}/commands', '/applications/{application_id}/guilds/{guild_id}/commands']) {
    const one = `${base}/{command_id}`;
    const find = (ctx: RouteContext) => {
      const list = scope(state, ctx);
      const index = list.findIndex((c) => c.id === ctx.params.command_id);
      if (index < 0) throw DiscordErrors.unknownCommand();
      return { list, index, command: list[index]! };
    };
    router.add({ method: 'GET', template: base, auth: 'bot', handler: (ctx) => ({ status: 200, body: scope(state, ctx) }) });
    router.add({
      method: 'PUT', template: base, auth: 'bot',
      limits: (ctx) => checkCommandLimits((ctx.body as unknown[] | null) ?? []),
      handler: (ctx) => {
        const list = scope(state, ctx);
        const inputs = ((ctx.body as Input[] | null) ?? []);
        const next = inputs.map((input) => toCommand(state, input, ctx.params.guild_id, list.find((c) => sameKey(c, input))));
        list.splice(0, list.length, ...next);
        return { status: 200, body: next };
      },
    });
    router.add({
      method: 'POST', template: base, auth: 'bot',
      handler: (ctx) => {
        const list = scope(state, ctx);
        const input = ctx.body as Input;
        const index = list.findIndex((c) => sameKey(c, input));
        const command = toCommand(state, input, ctx.params.guild_id, list[index]);
        if (index >= 0) list[index] = command;
        else {
          checkCommandLimits([...list, command]).throwIfAny();
          list.push(command);
        }
        return { status: index >= 0 ? 200 : 201, body: command };
      },
    });
    router.add({ method: 'GET', template: one, auth: 'bot', handler: (ctx) => ({ status: 200, body: find(ctx).command }) });
    router.add({
      method: 'PATCH', template: one, auth: 'bot',
      handler: (ctx) => {
        const { list, index, command } = find(ctx);
        const updated = toCommand(state, { ...command, ...(ctx.body as Input) }, ctx.params.guild_id, command);
        list[index] = updated;
        return { status: 200, body: updated };
      },
    });
    router.add({
      method: 'DELETE', template: one, auth: 'bot',
      handler: (ctx) => {
        const { list, index } = find(ctx);
        list.splice(index, 1);
        return { status: 204 };
      },
    });
  }
}
