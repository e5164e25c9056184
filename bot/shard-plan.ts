import type { RESTGetAPIGatewayBotResult } from 'discord-api-types/v10';

/** discord.js's own default between shard spawns: one IDENTIFY per 5 s per concurrency bucket, with a margin. */
export const SEQUENTIAL_SPAWN_DELAY_MS = 5_500;

export type ShardPlan = { ok: true; spawnDelayMs: number } | { ok: false; problem: string };

/**
 * How to start `shards` shards, from `GET /gateway/bot`. Shards in different `max_concurrency` buckets may identify
 * together, so with enough buckets they all start at once; otherwise one every 5.5 s. Pure.
 */
export function planShards(shards: number, gateway: Pick<RESTGetAPIGatewayBotResult, 'session_start_limit'>): ShardPlan {
  const { remaining, max_concurrency: concurrency, reset_after: resetAfterMs } = gateway.session_start_limit;
  if (remaining < shards) {
    return { ok: false, problem: `Discord allows ${remaining} more gateway session start(s) for this bot (resets in ${Math.ceil(resetAfterMs / 60_000)} min); ${shards} shards need ${shards}` };
  }
  return { ok: true, spawnDelayMs: concurrency >= shards ? 0 : SEQUENTIAL_SPAWN_DELAY_MS };
}

/**
 * The metrics port of one bot process: `BOT_METRICS_PORT` itself unsharded, plus the shard id under
 * the ShardingManager (which sets `SHARDS` to the child's id), so shards on one host do not collide. Pure.
 */
export function shardMetricsPort(basePort: number, shardsEnv: string | undefined): number {
  if (!basePort) return 0;
  const id = shardsEnv !== undefined && /^\d+$/.test(shardsEnv) ? Number(shardsEnv) : 0;
  return basePort + id;
}
