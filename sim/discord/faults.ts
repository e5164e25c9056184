import type { RateLimitInjection, ServerErrorInjection } from './types.ts';

export type Fault =
  | { kind: 'rateLimit'; retryAfterSeconds: number; global: boolean }
  | { kind: 'serverError'; status: number };

interface Pending {
  route?: string | RegExp;
  remaining: number;
  fault: Fault;
}

/**
 * A string route matches the OpenAPI template (`/channels/{channel_id}/messages`), `METHOD template`, or the concrete
 * path; a RegExp is tested against `METHOD template` and the concrete path. No route = any request.
 */
export function routeMatches(route: string | RegExp | undefined, method: string, template: string, path: string): boolean {
  if (route === undefined) return true;
  const keyed = `${method} ${template}`;
  if (typeof route === 'string') return route === template || route === keyed || route === path || route === `${method} ${path}`;
  return route.test(keyed) || route.test(path);
}

/** Queue of injected 429s and 5xx, consumed by matching requests in order. */
export class FaultInjector {
  readonly #pending: Pending[] = [];

  rateLimit(opts: RateLimitInjection): void {
    this.#pending.push({
      route: opts.route,
      remaining: opts.count ?? 1,
      fault: { kind: 'rateLimit', retryAfterSeconds: opts.retryAfterSeconds ?? 0.05, global: opts.global ?? false },
    });
  }

  serverError(opts: ServerErrorInjection): void {
    this.#pending.push({ route: opts.route, remaining: opts.count ?? 1, fault: { kind: 'serverError', status: opts.status ?? 500 } });
  }

  take(method: string, template: string, path: string): Fault | null {
    const index = this.#pending.findIndex((p) => routeMatches(p.route, method, template, path));
    if (index < 0) return null;
    const pending = this.#pending[index]!;
    pending.remaining -= 1;
    if (pending.remaining <= 0) this.#pending.splice(index, 1);
    return pending.fault;
  }
}

/**
 * Opt-in: Discord's per-message edit limit (observed as about 5 edits per 5 s per message). Counts
 * PATCHes of one message (by channel id or through an interaction token) in a sliding window and
 * answers the one over it with a 429, as Discord does, so a test can show that the bot never
 * provokes one.
 */
export class MessageEditLimiter {
  readonly #edits = new Map<string, number[]>();
  readonly #limit: { count: number; perMs: number };
  constructor(limit: { count: number; perMs: number }) {
    this.#limit = limit;
  }

  /** Seconds to wait when this request is over the limit; null when it may go. */
  take(method: string, template: string, path: string, nowMs: number): number | null {
    if (method !== 'PATCH' || !template.includes('/messages/')) return null;
    const recent = (this.#edits.get(path) ?? []).filter((t) => nowMs - t < this.#limit.perMs);
    if (recent.length >= this.#limit.count) {
      this.#edits.set(path, recent);
      return Math.max(0.001, (recent[0]! + this.#limit.perMs - nowMs) / 1000);
    }
    recent.push(nowMs);
    this.#edits.set(path, recent);
    return null;
  }
}
