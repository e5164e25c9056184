import type { APIApplicationCommand, APIUser, UserFlags } from 'discord-api-types/v10';
import type { SimClock } from './clock.ts';
import { SnowflakeFactory } from './ids.ts';
import type { RecordedResponse, SimChannel, SimGuild, SimMessage, SimUser } from './types.ts';

export interface StoredFile {
  id: string;
  channelId: string;
  filename: string;
  contentType: string;
  bytes: Uint8Array;
}

/** Server-side state of one interaction: the ack state machine and the messages it owns. */
export interface InteractionRecord {
  id: string;
  token: string;
  type: number;
  createdAt: number;
  guildId: string | null;
  channelId: string;
  userId: string;
  /** For component (and modal-from-component) interactions: the message the component sits on. */
  sourceMessageId?: string;
  ackType?: number;
  originalMessageId?: string;
  followUpIds: string[];
  responses: RecordedResponse[];
  payload: unknown;
  waiters: Array<(r: RecordedResponse) => void>;
}

/** In-memory Discord: users, guilds, channels, messages, commands, interactions and uploaded files. */
export class SimState {
  readonly clock: SimClock;
  readonly ids: SnowflakeFactory;
  readonly botUser: SimUser;
  readonly applicationId: string;
  /** `http://host:port`, set once the server listens; used for attachment URLs. */
  baseUrl = '';
  readonly users = new Map<string, SimUser>();
  readonly guilds = new Map<string, SimGuild>();
  readonly channels = new Map<string, SimChannel>();
  readonly messages = new Map<string, SimMessage>();
  readonly channelMessageIds = new Map<string, string[]>();
  readonly globalCommands: APIApplicationCommand[] = [];
  readonly guildCommands = new Map<string, APIApplicationCommand[]>();
  readonly interactions = new Map<string, InteractionRecord>();
  readonly files = new Map<string, StoredFile>();
  /** Modals shown by the bot (type 9), by custom_id, so a modal submit can mirror their layout. */
  readonly shownModals = new Map<string, { components: unknown[] }>();

  constructor(clock: SimClock, botUser: SimUser, applicationId: string) {
    this.clock = clock;
    this.ids = new SnowflakeFactory(() => clock.now());
    this.botUser = botUser;
    this.applicationId = applicationId;
    this.users.set(botUser.id, botUser);
  }

  addUser(username: string): SimUser {
    const user = { id: this.ids.next(), username };
    this.users.set(user.id, user);
    return user;
  }

  addGuild(name: string, ownerId: string, channels: { name?: string; nsfw?: boolean }[]): SimGuild {
    const guild: SimGuild = { id: this.ids.next(), name, ownerId, channels: [] };
    for (const [i, c] of (channels.length ? channels : [{}]).entries()) {
      const channel: SimChannel = { id: this.ids.next(), name: c.name ?? (i === 0 ? 'general' : `channel-${i}`), guildId: guild.id, nsfw: c.nsfw ?? false };
      guild.channels.push(channel);
      this.channels.set(channel.id, channel);
    }
    this.guilds.set(guild.id, guild);
    return guild;
  }

  /** A public thread in a guild text channel (not listed in the guild's channels, like Discord's GUILD_CREATE `channels`). */
  addThread(parent: SimChannel, name: string): SimChannel {
    const thread: SimChannel = { id: this.ids.next(), name, guildId: parent.guildId, nsfw: false, parentId: parent.id };
    this.channels.set(thread.id, thread);
    return thread;
  }

  commandsFor(guildId?: string): APIApplicationCommand[] {
    if (!guildId) return this.globalCommands;
    let list = this.guildCommands.get(guildId);
    if (!list) {
      list = [];
      this.guildCommands.set(guildId, list);
    }
    return list;
  }

  putMessage(message: SimMessage): void {
    this.messages.set(message.id, message);
    const ids = this.channelMessageIds.get(message.channel_id) ?? [];
    ids.push(message.id);
    this.channelMessageIds.set(message.channel_id, ids);
  }

  channelMessages(channelId: string): SimMessage[] {
    return (this.channelMessageIds.get(channelId) ?? [])
      .map((id) => this.messages.get(id))
      .filter((m): m is SimMessage => m !== undefined && !m.deleted);
  }

  interactionByToken(token: string): InteractionRecord | undefined {
    for (const rec of this.interactions.values()) if (rec.token === token) return rec;
    return undefined;
  }

  apiUser(user: SimUser): APIUser {
    const isBot = user.id === this.botUser.id;
    return {
      id: user.id,
      username: user.username,
      discriminator: '0',
      global_name: isBot ? null : user.username,
      avatar: null,
      ...(isBot ? { bot: true } : {}),
      flags: 0 as UserFlags,
      public_flags: 0 as UserFlags,
    };
  }
}
