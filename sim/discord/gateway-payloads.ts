import type { ApplicationFlags, GatewayGuildCreateDispatchData, GatewayReadyDispatchData } from 'discord-api-types/v10';
import type { SimState } from './state.ts';
import type { SimChannel, SimGuild } from './types.ts';

/** Every permission bit set that a normal bot role would carry (as in NOTES §1.2). */
export const DEFAULT_PERMISSIONS = '2248473465835073';

export function readyPayload(state: SimState, opts: { sessionId: string; resumeUrl: string; shard: [number, number]; guilds: SimGuild[] }): GatewayReadyDispatchData {
  return {
    v: 10,
    user: { ...state.apiUser(state.botUser), verified: true, mfa_enabled: false } as GatewayReadyDispatchData['user'],
    guilds: opts.guilds.map((g) => ({ id: g.id, unavailable: true })),
    session_id: opts.sessionId,
    resume_gateway_url: opts.resumeUrl,
    shard: opts.shard,
    application: { id: state.applicationId, flags: 0 as ApplicationFlags, flags_new: '0' },
  };
}

export function guildCreatePayload(state: SimState, guild: SimGuild): GatewayGuildCreateDispatchData {
  const joinedAt = state.clock.iso();
  const owner = state.users.get(guild.ownerId);
  const members = [state.botUser, ...(owner && owner.id !== state.botUser.id ? [owner] : [])];
  return {
    id: guild.id,
    name: guild.name,
    icon: null,
    splash: null,
    discovery_splash: null,
    owner_id: guild.ownerId,
    afk_channel_id: null,
    afk_timeout: 300,
    verification_level: 0,
    default_message_notifications: 0,
    explicit_content_filter: 0,
    mfa_level: 0,
    application_id: null,
    system_channel_id: guild.channels[0]?.id ?? null,
    system_channel_flags: 0,
    rules_channel_id: null,
    vanity_url_code: null,
    description: null,
    banner: null,
    premium_tier: 0,
    preferred_locale: 'en-US',
    public_updates_channel_id: null,
    nsfw_level: 0,
    premium_progress_bar_enabled: false,
    safety_alerts_channel_id: null,
    hub_type: null,
    incidents_data: null,
    unavailable: false,
    joined_at: joinedAt,
    large: false,
    member_count: members.length,
    features: [],
    roles: [
      { id: guild.id, name: '@everyone', permissions: DEFAULT_PERMISSIONS, position: 0, color: 0, colors: { primary_color: 0, secondary_color: null, tertiary_color: null }, hoist: false, managed: false, mentionable: false, flags: 0, icon: null, unicode_emoji: null },
      ...(guild.roleIds ?? []).map((id, i) => ({
        id, name: `role-${i + 1}`, permissions: '0', position: i + 1, color: 0x3498db, colors: { primary_color: 0x3498db, secondary_color: null, tertiary_color: null },
        hoist: i % 5 === 0, managed: false, mentionable: true, flags: 0, icon: null, unicode_emoji: null,
      })),
    ],
    channels: guild.channels.map((c, i) => ({ id: c.id, type: 0, name: c.name, position: i, nsfw: c.nsfw, permission_overwrites: [], topic: null, parent_id: null, last_message_id: null, rate_limit_per_user: 0, flags: 0, guild_id: guild.id })),
    members: members.map((u) => ({ user: state.apiUser(u), roles: [], joined_at: joinedAt, deaf: false, mute: false, flags: 0 })),
    emojis: (guild.emojiIds ?? []).map((id, i) => ({
      id, name: `emoji_${i + 1}`, roles: [], user: undefined, require_colons: true, managed: false, animated: i % 7 === 0, available: true,
    })),
    stickers: [],
    threads: [],
    voice_states: [],
    presences: [],
    stage_instances: [],
    guild_scheduled_events: [],
    soundboard_sounds: [],
  } as unknown as GatewayGuildCreateDispatchData;
}

/** A channel as Discord's REST API shows it: a text channel (type 0), or a public thread (type 11), which has no `nsfw` of its own. */
export function apiChannel(channel: SimChannel, isoNow: string): Record<string, unknown> {
  const common = { id: channel.id, guild_id: channel.guildId, name: channel.name, flags: 0, last_message_id: null, rate_limit_per_user: 0 };
  if (channel.parentId) {
    return {
      ...common, type: 11, parent_id: channel.parentId, message_count: 0, member_count: 0, total_message_sent: 0,
      thread_metadata: { archived: false, auto_archive_duration: 1440, archive_timestamp: isoNow, locked: false },
    };
  }
  return { ...common, type: 0, nsfw: channel.nsfw, position: 0, permission_overwrites: [], topic: null, parent_id: null };
}
