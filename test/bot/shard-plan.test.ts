import { describe, expect, test } from 'vitest';
import { planShards, SEQUENTIAL_SPAWN_DELAY_MS, shardMetricsPort } from '#bot/shard-plan.ts';

const limit = (remaining: number, maxConcurrency: number) => ({ session_start_limit: { total: 1000, remaining, reset_after: 3_600_000, max_concurrency: maxConcurrency } });

describe('how the shard manager starts its shards (from GET /gateway/bot)', () => {
  test('all at once when each shard has its own identify bucket, else one every 5.5 s', () => {
    expect(planShards(2, limit(1000, 16))).toEqual({ ok: true, spawnDelayMs: 0 });
    expect(planShards(2, limit(1000, 2))).toEqual({ ok: true, spawnDelayMs: 0 });
    expect(planShards(4, limit(1000, 1))).toEqual({ ok: true, spawnDelayMs: SEQUENTIAL_SPAWN_DELAY_MS });
  });

  test('too few session starts left today is one line with when they come back', () => {
    expect(planShards(4, limit(3, 1))).toEqual({ ok: false, problem: 'Discord allows 3 more gateway session start(s) for this bot (resets in 60 min); 4 shards need 4' });
  });
});

describe('shardMetricsPort', () => {
  test('unsharded: the port itself; under the manager: the port plus the shard id; 0 stays off', () => {
    expect(shardMetricsPort(9464, undefined)).toBe(9464);
    expect(shardMetricsPort(9464, '0')).toBe(9464);
    expect(shardMetricsPort(9464, '3')).toBe(9467);
    expect(shardMetricsPort(0, '3')).toBe(0);
    expect(shardMetricsPort(9464, '1,2')).toBe(9464);
  });
});
