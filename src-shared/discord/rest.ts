import { REST } from '@discordjs/rest';

/** A Discord REST client; `apiBase` is DISCORD_API_BASE (the library appends /v10). */
export function createDiscordRest(apiBase: string, token: string): REST {
  return new REST({ api: apiBase, retries: 3, timeout: 15_000 }).setToken(token);
}

/**
 * A client for interaction endpoints only (webhooks through an interaction token, `auth: false`),
 * which Discord does not count against the bot's 50 requests/s global limit: @discordjs/rest counts
 * every request of a client against it, so deliveries through the bot's client could not pass
 * ~45/s. Per-route buckets (each token's own) still hold.
 */
export function createInteractionRest(apiBase: string): REST {
  return new REST({ api: apiBase, retries: 3, timeout: 15_000, globalRequestsPerSecond: Number.POSITIVE_INFINITY });
}
