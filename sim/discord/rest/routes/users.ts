import { DiscordErrors } from '../../errors.ts';
import { apiChannel } from '../../gateway-payloads.ts';
import type { SimState } from '../../state.ts';
import type { Router } from '../router.ts';

/** `/users/@me`, `/applications/@me`, and lookups of users, guilds and channels the sim knows. */
export function registerUserRoutes(router: Router, state: SimState): void {
  const fullUser = (id: string) => {
    const user = state.users.get(id);
    if (!user) throw DiscordErrors.unknownUser();
    return { ...state.apiUser(user), banner: null, accent_color: null, avatar_decoration_data: null, collectibles: null, primary_guild: null };
  };
  router.add({
    method: 'GET', template: '/users/@me', auth: 'bot',
    handler: () => ({ status: 200, body: { ...fullUser(state.botUser.id), mfa_enabled: false, verified: true, locale: 'en-US', email: null } }),
  });
  router.add({
    method: 'GET', template: '/users/{user_id}', auth: 'bot',
    handler: (ctx) => {
      return { status: 200, body: fullUser(ctx.params.user_id!) };
    },
  });
  router.add({
    method: 'GET', template: '/applications/@me', auth: 'bot',
    handler: () => ({
      status: 200,
      body: {
        id: state.applicationId, name: state.botUser.username, icon: null, description: '', summary: '', type: null,
        bot_public: true, bot_require_code_grant: false, verify_key: '0'.repeat(64), flags: 0, team: null,
        owner: fullUser(state.botUser.id), bot: fullUser(state.botUser.id), approximate_guild_count: state.guilds.size,
        integration_types_config: { 0: {} }, redirect_uris: [], interactions_endpoint_url: null,
      },
    }),
  });
  router.add({
    method: 'GET', template: '/channels/{channel_id}', auth: 'bot',
    handler: (ctx) => {
      const channel = state.channels.get(ctx.params.channel_id!);
      if (!channel) throw DiscordErrors.unknownChannel();
      return { status: 200, body: apiChannel(channel, state.clock.iso()) };
    },
  });
}
