import { REST } from '@discordjs/rest';
import { Routes, type RESTPutAPIApplicationCommandsResult } from 'discord-api-types/v10';
import { commands } from './command-list.ts';

export interface RegisterCommandsOptions {
  token: string;
  applicationId: string;
  apiBase: string;
  /** Set: register in this guild only (instant, for development). Unset: global. */
  guildId?: string;
}

export interface RegisteredCommands {
  scope: 'guild' | 'global';
  commands: RESTPutAPIApplicationCommandsResult;
}

/**
 * One bulk overwrite (PUT) per scope — run by `npm run commands:deploy`, never on every start,
 * because Discord allows 200 command creates per guild per day.
 */
export async function registerCommands(opts: RegisterCommandsOptions): Promise<RegisteredCommands> {
  const rest = new REST({ api: opts.apiBase }).setToken(opts.token);
  const body = commands.map((c) => c.data);
  const route = opts.guildId ? Routes.applicationGuildCommands(opts.applicationId, opts.guildId) : Routes.applicationCommands(opts.applicationId);
  const result = (await rest.put(route, { body })) as RESTPutAPIApplicationCommandsResult;
  return { scope: opts.guildId ? 'guild' : 'global', commands: result };
}
