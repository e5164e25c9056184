import { describe, expect, test } from 'vitest';
import { claimedRows, installClaimClock } from '../../bench/lib/claim-clock.ts';
import { schedulerForFile } from '../support/scheduler-world.ts';

const world = schedulerForFile({ comfy: { models: { checkpoints: ['base.safetensors'] }, secondsPerStep: 0.005 } });

describe('fair order', () => {
  test("one user queueing 20 and nine queueing 1: all nine start before the heavy user's 3rd job", { timeout: 60_000 }, async () => {
    await installClaimClock(world.tdb.pool);
    world.comfy.pause();
    const heavy: string[] = [];
    for (let i = 0; i < 20; i++) heavy.push((await world.h.enqueue({ userId: '100000000000000900' })).generation.id);
    const light: string[] = [];
    for (let u = 1; u <= 9; u++) light.push((await world.h.enqueue({ userId: `10000000000000091${u}` })).generation.id);
    // What had been placed while ComfyUI held its queue: a failure message below tells a slot that
    // freed during the pause (placed before the light members arrived) from an unfair claim.
    const placedDuringPause = (await world.tdb.pool.query<{ id: string; attempts: number }>(
      `select id, attempts from generation where id = any($1::uuid[]) and comfy_prompt_id is not null`, [heavy],
    )).rows.map((r) => `heavy[${heavy.indexOf(r.id)}] (attempts ${r.attempts})`);
    world.comfy.resume();
    for (const id of [...heavy, ...light]) await world.h.waitFor(id, ['succeeded'], { timeoutMs: 30_000 });

    const { rows } = await world.tdb.pool.query<{ id: string; prompt: string }>(
      `select id, comfy_prompt_id as prompt from generation where id = any($1::uuid[])`,
      [[...heavy, ...light]],
    );
    const generationOf = new Map(rows.map((r) => [r.prompt, r.id]));
    const ran = world.comfy.executions.map((e) => generationOf.get(e.promptId)).filter((id): id is string => Boolean(id));
    // Judged on when each claim decided (a trigger's clock_timestamp()), not on the order ComfyUI
    // started them: two workers' submits after their claims can cross on a loaded machine.
    const startOrder = (await claimedRows(world.tdb.pool)).sort((a, b) => a.startedAt - b.startedAt).map((r) => r.id);
    expect(startOrder).toHaveLength(29);
    expect(new Set(ran)).toEqual(new Set(startOrder));
    const heavyThird = startOrder.indexOf(heavy[2]!);
    const lightStarts = light.map((id) => startOrder.indexOf(id));
    const placed = (await world.tdb.pool.query<{ id: string; startedAt: Date; attempts: number }>(
      `select id, started_at as "startedAt", attempts from generation where id = any($1::uuid[]) order by started_at`, [[...heavy, ...light]],
    )).rows.map((r) => `${heavy.includes(r.id) ? `heavy[${heavy.indexOf(r.id)}]` : `light[${light.indexOf(r.id)}]`} ${r.startedAt.toISOString()} attempts ${r.attempts}`);
    expect(Math.max(...lightStarts), `placed during the pause: ${placedDuringPause.join(', ')}\nstart order:\n${placed.join('\n')}`).toBeLessThan(heavyThird);
  });
});
