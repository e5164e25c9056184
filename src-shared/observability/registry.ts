import { Counter, Registry, collectDefaultMetrics } from 'prom-client';
import type { REST } from '@discordjs/rest';

export type Role = 'bot' | 'scheduler' | 'admin-api';

/**
 * A Prometheus registry for one role of one process: process metrics (CPU, memory, event loop lag)
 * and every series labelled `role`, so one Prometheus job can scrape all three. One registry per
 * role (not prom-client's global one) keeps `npm start`, which runs every role in one process, and
 * the tests from mixing them.
 */
export function roleRegistry(role: Role): Registry {
  const register = new Registry();
  register.setDefaultLabels({ role });
  collectDefaultMetrics({ register });
  return register;
}

/** Discord API answers that were errors (by status, 429 included) and rate-limit waits, for a role's REST client. */
export function watchDiscordRest(register: Registry, ...rests: REST[]): void {
  const errors = new Counter({ name: 'genonaut_discord_api_errors_total', help: 'Discord API answers with status 400 or more (429 included), by status', labelNames: ['status'], registers: [register] });
  const limited = new Counter({ name: 'genonaut_discord_rate_limited_total', help: 'Times a Discord rate limit made a request wait (429s and known buckets)', labelNames: ['global'], registers: [register] });
  errors.inc({ status: '429' }, 0);
  limited.inc({ global: 'false' }, 0);
  for (const rest of rests) {
    rest.on('response', (_request, response) => {
      if (response.status >= 400) errors.inc({ status: String(response.status) });
    });
    rest.on('rateLimited', (info) => limited.inc({ global: String(info.global) }));
  }
}
