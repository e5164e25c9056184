import { REST } from '@discordjs/rest';

/** A Discord REST client; `apiBase` is DISCORD_API_BASE (the library appends /v10). */
export function createDiscordRest(apiBase: string, token: string): REST {
  return new REST({ api: apiBase, retries: 3, timeout: 15_000 }).setToken(token);
}
