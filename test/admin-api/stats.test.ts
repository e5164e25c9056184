import { beforeAll, describe, expect, test } from 'vitest';
import { asDb } from '#shared/db/pool.ts';
import { GenerationRepository } from '#shared/db/repositories/generation-repository.ts';
import { generationInput } from '../support/generation-fixture.ts';
import { errorOf, adminApiForFile } from './harness.ts';

const world = adminApiForFile();

const g1 = '200000000000000001';
const g2 = '200000000000000002';
const base = Date.parse('2026-06-01T00:00:00Z');
const ids: Record<string, string> = {};

/** name, status, checkpoint, instance, guild, seconds after base it was created, wait (s), run (s). */
const fixtures: [string, string, string, number | null, string | null, number, number | null, number | null][] = [
  ['ok1', 'succeeded', 'a.safetensors', 1, g1, 0, 1, 10],
  ['ok2', 'succeeded', 'a.safetensors', 1, g1, 100, 2, 20],
  ['bad', 'failed', 'b.safetensors', 2, g2, 200, 3, 30],
  ['stop', 'cancelled', 'b.safetensors', null, null, 300, null, null],
  ['run', 'running', 'a.safetensors', 1, g1, 400, 4, null],
  ['old', 'succeeded', 'a.safetensors', 1, g1, -86_400 * 60, 9, 90],
];

beforeAll(async () => {
  await world.tdb.pool.query(`insert into comfy_instance (id, name, base_url) values (1, 'one', 'http://one'), (2, 'two', 'http://two')`);
  const repo = new GenerationRepository(asDb(world.tdb.pool));
  for (const [name, status, checkpoint, instance, guild, createdAfter, wait, run] of fixtures) {
    const g = await repo.create(generationInput({ checkpoint, guildId: guild }));
    ids[name] = g.id;
    const created = new Date(base + createdAfter * 1000);
    const started = wait === null ? null : new Date(created.getTime() + wait * 1000);
    const finished = run === null ? (status === 'cancelled' ? created : null) : new Date(started!.getTime() + run * 1000);
    await world.tdb.pool.query(
      `update generation set status = $2, comfy_instance_id = $3, created_at = $4, started_at = $5, finished_at = $6 where id = $1`,
      [g.id, status, instance, created, started, finished],
    );
  }
  // Waiting for a minute now: the line's oldest.
  ids.waiting = (await repo.create(generationInput({ checkpoint: 'a.safetensors', guildId: g1 }))).id;
  await world.tdb.pool.query(`update generation set created_at = now() - interval '60 seconds' where id = $1`, [ids.waiting]);
});

interface Group {
  key: string | null;
  total: number;
  succeeded: number;
  failed: number;
  cancelled: number;
  successRate: number | null;
  failureRate: number | null;
}

describe('GET /api/v1/stats', () => {
  test('counts, rates, the line and p50/p95 of wait and run match the fixtures', async () => {
    const res = await world.api.request('/api/v1/stats?since=2026-05-01T00:00:00Z');
    expect(res.status).toBe(200);
    const stats = (await res.json()) as {
      since: string; total: number; byStatus: Group[]; byModel: Group[]; byInstance: Group[]; byGuild: Group[];
      queue: { waiting: number; running: number; oldestWaitingSeconds: number };
      seconds: { wait: { p50: number; p95: number }; run: { p50: number; p95: number } };
    };
    expect(stats.since).toBe('2026-05-01T00:00:00.000Z');
    expect(stats.total).toBe(6);
    const totals = (groups: Group[]) => Object.fromEntries(groups.map((g) => [String(g.key), g.total]));
    expect(totals(stats.byStatus)).toEqual({ succeeded: 2, failed: 1, cancelled: 1, running: 1, queued: 1 });
    expect(stats.byModel).toEqual([
      { key: 'a.safetensors', total: 4, succeeded: 2, failed: 0, cancelled: 0, successRate: 1, failureRate: 0 },
      { key: 'b.safetensors', total: 2, succeeded: 0, failed: 1, cancelled: 1, successRate: 0, failureRate: 1 },
    ]);
    expect(stats.byInstance.map((g) => [g.key, g.total, g.successRate])).toEqual([['1', 3, 1], [null, 2, null], ['2', 1, 0]]);
    expect(stats.byGuild.map((g) => [g.key, g.total])).toEqual([[g1, 4], [g2, 1], [null, 1]]);
    expect(stats.queue).toMatchObject({ waiting: 1, running: 1 });
    expect(stats.queue.oldestWaitingSeconds).toBeGreaterThanOrEqual(59);
    expect(stats.queue.oldestWaitingSeconds).toBeLessThan(120);
    // waits 1,2,3,4 s (placed ones); runs 10,20,30 s (succeeded or failed); percentile_cont interpolates.
    expect(stats.seconds.wait.p50).toBeCloseTo(2.5);
    expect(stats.seconds.wait.p95).toBeCloseTo(3.85);
    expect(stats.seconds.run.p50).toBeCloseTo(20);
    expect(stats.seconds.run.p95).toBeCloseTo(29);
  });

  test('since narrows the window; the default is the last 24 hours', async () => {
    const later = (await (await world.api.request('/api/v1/stats?since=2026-06-01T00:04:00%2B00:00')).json()) as { total: number; seconds: { run: { p50: number | null } } };
    expect(later.total).toBe(3); // stop, run, waiting: nothing finished a run
    expect(later.seconds.run.p50).toBeNull();
    const recent = (await (await world.api.request('/api/v1/stats')).json()) as { since: string; total: number };
    expect(Date.now() - Date.parse(recent.since)).toBeGreaterThan(24 * 3600_000 - 60_000);
    expect(recent.total).toBe(1);
  });

  test('bad since values are 400 with details; no token is 401', async () => {
    for (const since of ['yesterday', '2026-13-01T00:00:00Z', '0000-01-01T00:00:00Z', '2026-06-01', '%00']) {
      const res = await world.api.request(`/api/v1/stats?since=${since}`);
      expect(res.status, since).toBe(400);
      expect(Object.keys((await errorOf(res)).details as object)).toEqual(['since']);
    }
    expect((await world.api.request('/api/v1/stats?since=2026-06-01T00:00:00Z&extra=1')).status).toBe(400);
    expect((await world.api.request('/api/v1/stats', { token: null })).status).toBe(401);
  });
});

describe('GET /api/v1/generations filters', () => {
  const list = async (qs: string) => {
    const res = await world.api.request(`/api/v1/generations?${qs}`);
    expect(res.status, qs).toBe(200);
    return ((await res.json()) as { items: { id: string }[] }).items.map((g) => g.id).sort();
  };
  const named = (...names: string[]) => names.map((n) => ids[n]!).sort();

  test('by model, instance and time range, combined with AND', async () => {
    expect(await list('model=b.safetensors')).toEqual(named('bad', 'stop'));
    expect(await list('instanceId=1')).toEqual(named('ok1', 'ok2', 'run', 'old'));
    expect(await list('from=2026-06-01T00:00:00Z&to=2026-06-01T00:03:21Z')).toEqual(named('ok1', 'ok2', 'bad'));
    expect(await list('instanceId=1&from=2026-06-01T00:00:00Z&to=2026-06-02T00:00:00Z&status=succeeded,running')).toEqual(named('ok1', 'ok2', 'run'));
    expect(await list(`guildId=${g2}&model=b.safetensors`)).toEqual(named('bad'));
  });

  test('bad filters are 400 naming the field', async () => {
    for (const [qs, field] of [['instanceId=x', 'instanceId'], ['from=tomorrow', 'from'], ['to=2026-02-30T00:00:00Z', 'to'], ['model=', 'model']]) {
      const res = await world.api.request(`/api/v1/generations?${qs}`);
      expect(res.status, qs).toBe(400);
      expect(Object.keys((await errorOf(res)).details as object)).toEqual([field]);
    }
  });
});
