import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, test } from 'vitest';
import { orphanedGenerations } from '#shared/db/sql/reaper.ts';
import { requestCancel } from '#shared/generation/cancel.ts';
import { ModerationError } from '#shared/moderation/refusal.ts';
import { pauseGuild, resumeGuild } from '#shared/moderation/guild-store.ts';
import { schedulerForFile } from '../support/scheduler-world.ts';

const world = schedulerForFile({ comfy: { models: { checkpoints: ['base.safetensors'] }, secondsPerStep: 0.005 } });

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(25);
  }
}

const statusOf = async (ids: string[]) =>
  (await world.tdb.pool.query<{ id: string; status: string; held: boolean }>('select id, status, held from generation where id = any($1::uuid[]) order by created_at', [ids])).rows;
const liveJobs = async (ids: string[]) =>
  (await world.tdb.pool.query(`select 1 from pgboss.job where name = 'generate' and data->>'generationId' = any($1::text[]) and state in ('created', 'retry', 'active')`, [ids])).rowCount;

describe('pause and resume in the scheduler', () => {
  test('queued work of a paused guild waits (held, no job, not reaped) while other guilds run; resume starts it', { timeout: 90_000 }, async () => {
    const guildA = world.discord.defaultGuild!.id;
    const guildB = '200000000000000777';
    world.comfy.pause();
    const a: string[] = [];
    for (let i = 0; i < 5; i++) a.push((await world.h.enqueue({ userId: `10000000000000080${i}`, prompt: `a${i}` })).generation.id);
    // The one instance takes two (its queue depth); the other three wait for a slot.
    await until('two placed', async () => (await statusOf(a)).filter((r) => r.status === 'running').length === 2);

    await pauseGuild(world.tdb.pool, guildA, 'maintenance', 'discord:100000000000000001');
    await expect(world.h.enqueue({ prompt: 'late' })).rejects.toBeInstanceOf(ModerationError);
    const waiting = (await statusOf(a)).filter((r) => r.status === 'queued').map((r) => r.id);
    expect(waiting).toHaveLength(3);

    // Other guilds are not held up: guild B's request (queued after A's three) runs, A's three do not.
    const b = (await world.h.enqueue({ guildId: guildB, userId: '100000000000000899', prompt: 'b' })).generation.id;
    world.comfy.resume();
    await world.h.waitFor(b, ['succeeded'], { timeoutMs: 30_000 });
    const placed = a.filter((id) => !waiting.includes(id));
    for (const id of placed) await world.h.waitFor(id, ['succeeded'], { timeoutMs: 30_000 });
    await until('the waiting three held', async () => (await statusOf(waiting)).every((r) => r.held));
    await until('their jobs ended', async () => (await liveJobs(waiting)) === 0);
    await delay(500);
    expect((await statusOf(waiting)).map((r) => [r.status, r.held])).toEqual([['queued', true], ['queued', true], ['queued', true]]);
    expect(world.comfy.executions).toHaveLength(3);
    // The reaper leaves held generations alone even though they have no job.
    const orphans = orphanedGenerations(0);
    const reaped = (await world.tdb.pool.query<{ id: string }>(orphans.text, orphans.values)).rows.map((r) => r.id);
    expect(reaped.filter((id) => waiting.includes(id))).toEqual([]);

    // A held request can still be cancelled by its owner; resume leaves it cancelled.
    const [dropped, ...kept] = waiting as [string, ...string[]];
    expect((await requestCancel(world.tdb.pool, world.h.scheduler.boss, dropped)).status).toBe('cancelled');

    const resumed = await resumeGuild(world.tdb.pool, world.h.scheduler.boss, guildA, 'discord:100000000000000001');
    expect(resumed.released).toBe(2);
    for (const id of kept) await world.h.waitFor(id, ['succeeded'], { timeoutMs: 30_000 });
    expect((await statusOf(kept)).every((r) => !r.held)).toBe(true);
    expect((await statusOf([dropped]))[0]!.status).toBe('cancelled');
    expect(world.comfy.executions).toHaveLength(5);
    const audit = await world.tdb.pool.query('select action, before, after from audit_log order by id');
    expect(audit.rows).toEqual([
      { action: 'guild.pause', before: { paused: false, pauseReason: null }, after: { paused: true, pauseReason: 'maintenance' } },
      { action: 'guild.resume', before: { paused: true, pauseReason: 'maintenance' }, after: { paused: false, pauseReason: null, released: 2 } },
    ]);
  });
});
