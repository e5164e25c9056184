import type { RESTGetAPIGatewayBotResult } from 'discord-api-types/v10';
import type { SimState } from '../../state.ts';
import type { Router } from '../router.ts';

export function registerGatewayRoutes(router: Router, state: SimState): void {
  const wsUrl = () => `${state.baseUrl.replace(/^http/, 'ws')}/gateway`;
  router.add({ method: 'GET', template: '/gateway', auth: 'none', handler: () => ({ status: 200, body: { url: wsUrl() } }) });
  router.add({
    method: 'GET',
    template: '/gateway/bot',
    auth: 'bot',
    handler: () => {
      const body: RESTGetAPIGatewayBotResult = {
        url: wsUrl(),
        shards: 1,
        // High max_concurrency keeps multi-shard identifies fast; reset_after 0 → the client caches this for 5 s.
        session_start_limit: { total: 1000, remaining: 1000, reset_after: 0, max_concurrency: 16 },
      };
      return { status: 200, body };
    },
  });
}
