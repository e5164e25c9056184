import { Client, Options, type Guild, type GuildMember, type User } from 'discord.js';

export interface BotClientOptions {
  apiBase: string;
  /** How long a READY guild may stay unavailable before `clientReady` fires anyway. */
  waitGuildTimeoutMs?: number;
}

const isSelf = (entity: User | GuildMember) => entity.id === entity.client.user.id;

/**
 * discord.js client for an interaction-only bot: no intents at all. Interactions are not gated by any
 * intent and carry what the bot needs (the channel with its age restriction, the member's roles and
 * permissions, the guild id), so the guild, channel and role caches stay empty whatever the number of
 * guilds (see bot/listeners/interaction-channels.ts). The other caches are off too.
 */
export function createBotClient(opts: BotClientOptions): Client {
  return new Client({
    intents: [],
    rest: { api: opts.apiBase },
    waitGuildTimeout: opts.waitGuildTimeoutMs ?? 15_000,
    makeCache: Options.cacheWithLimits({
      ...Options.DefaultMakeCacheSettings,
      ApplicationCommandManager: 0,
      AutoModerationRuleManager: 0,
      BaseGuildEmojiManager: 0,
      GuildEmojiManager: 0,
      GuildStickerManager: 0,
      GuildBanManager: 0,
      GuildInviteManager: 0,
      GuildScheduledEventManager: 0,
      GuildMessageManager: 0,
      DMMessageManager: 0,
      MessageManager: 0,
      ReactionManager: 0,
      ReactionUserManager: 0,
      PresenceManager: 0,
      StageInstanceManager: 0,
      ThreadMemberManager: 0,
      VoiceStateManager: 0,
      GuildMemberManager: { maxSize: 0, keepOverLimit: isSelf },
      UserManager: { maxSize: 0, keepOverLimit: isSelf },
    }),
    sweepers: {
      ...Options.DefaultSweeperSettings,
      messages: { interval: 3_600, lifetime: 1_800 },
    },
  });
}

export type { Guild };
