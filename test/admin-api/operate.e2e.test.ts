import type { MikroORM } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { setTimeout as delay } from 'node:timers/promises';
import { discoverModelsJob } from '#scheduler/jobs/discover-models.ts';
import { instanceHealthJob } from '#scheduler/jobs/instance-health.ts';
import { createOrm } from '#shared/db/orm.ts';
import { startComfySim, type ComfySim } from '#sim/comfyui/index.ts';
import { startDiscordSim, type DiscordSim } from '#sim/discord/index.ts';
import { jobHelpers } from '../support/scheduler-context.ts';
import { startSchedulerHarness, type SchedulerHarness } from '../support/scheduler-harness.ts';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.ts';
import { errorOf, serveApp, type ServedApp } from './harness.ts';

/** The admin API operating a real scheduler on sim/comfyui: health, drain, cancel. */

let tdb: TestDatabase;
let orm: MikroORM;
let discord: DiscordSim;
let comfy: ComfySim;
let gone: ComfySim;
let h: SchedulerHarness;
let api: ServedApp;
let comfyId: number;
let goneId: number;

interface InstanceJson {
  id: number;
  state: string;
  health: string;
  lastError: string | null;
  queueDepth: number;
  avgSecondsPerStep: number | null;
  lastCheckpoint: string | null;
  models: { kind: string; fileName: string }[];
}

beforeAll(async () => {
  tdb = await createTestDatabase();
  orm = await createOrm(tdb.url);
  discord = await startDiscordSim();
  comfy = await startComfySim({ models: { checkpoints: ['base.safetensors'], loras: ['detail.safetensors'] }, secondsPerStep: 0.005 });
  gone = await startComfySim({ models: { checkpoints: ['other.safetensors'] } });
  h = await startSchedulerHarness({ tdb, discord, comfyUrls: [comfy.url, gone.url] });
  await discoverModelsJob.handle(h.scheduler.context, {}, jobHelpers());
  const ids = (await tdb.pool.query<{ id: number; base_url: string }>('select id, base_url from comfy_instance')).rows;
  comfyId = ids.find((r) => r.base_url === comfy.url)!.id;
  goneId = ids.find((r) => r.base_url === gone.url)!.id;
  api = await serveApp({ tdb, orm, queue: { pool: tdb.pool, boss: h.scheduler.boss } });
});
afterAll(async () => {
  await api?.close();
  await h?.stop();
  await Promise.all([comfy?.close(), discord?.close()]);
  await orm?.close();
  await tdb?.drop();
});

const instance = async (id: number) => (await (await api.request(`/api/v1/instances/${id}`)).json()) as InstanceJson;
const post = (path: string) => api.request(path, { method: 'POST' });
const usage = async (userId: string) => (await tdb.pool.query<{ active: number }>('select active from user_usage where user_id = $1', [userId])).rows[0]?.active ?? 0;

describe('operating the scheduler through the admin API', () => {
  test('health, last error and models present come from the instances themselves', async () => {
    await gone.close();
    await instanceHealthJob.handle(h.scheduler.context, {}, jobHelpers());
    expect(await instance(comfyId)).toMatchObject({
      health: 'healthy', lastError: null, queueDepth: 0,
      models: expect.arrayContaining([{ kind: 'checkpoint', fileName: 'base.safetensors' }, { kind: 'lora', fileName: 'detail.safetensors' }]),
    });
    const down = await instance(goneId);
    expect(down.health).toBe('unhealthy');
    expect(down.lastError).toBeTruthy();
    expect((await post(`/api/v1/instances/${goneId}/disable`)).status).toBe(200);
  });

  test('a draining instance finishes its running generation but takes nothing new until enabled', async () => {
    comfy.setSecondsPerStep(0.05);
    const first = await h.enqueue({ steps: 30 });
    await h.waitFor(first.generation.id, ['running']);
    const drained = (await (await post(`/api/v1/instances/${comfyId}/drain`)).json()) as InstanceJson;
    expect(drained).toMatchObject({ state: 'draining', queueDepth: 1 });

    const second = await h.enqueue({ steps: 4 });
    const done = await h.waitFor(first.generation.id, ['succeeded']);
    expect(done.comfyInstanceId).toBe(comfyId);
    // Several placement rounds (every 1.5 s with no instance) pass without taking the second one.
    await delay(3500);
    expect((await h.repo.get(second.generation.id)).status).toBe('queued');
    expect(comfy.executions.map((e) => e.promptId)).not.toContain((await h.repo.get(second.generation.id)).comfyPromptId);
    const after = await instance(comfyId);
    expect(after).toMatchObject({ state: 'draining', queueDepth: 0, lastCheckpoint: 'base.safetensors' });
    // 30 steps at 0.05 s each in the stand-in, measured from its progress events.
    expect(after.avgSecondsPerStep).toBeGreaterThan(0.03);
    expect(after.avgSecondsPerStep).toBeLessThan(0.2);

    comfy.setSecondsPerStep(0.005);
    expect(((await (await post(`/api/v1/instances/${comfyId}/enable`)).json()) as InstanceJson).state).toBe('enabled');
    const later = await h.waitFor(second.generation.id, ['succeeded']);
    expect(later.comfyInstanceId).toBe(comfyId);
  });

  test('cancelling a queued generation removes its job and refunds the user at once', async () => {
    await post(`/api/v1/instances/${comfyId}/drain`);
    const queued = await h.enqueue({});
    const user = queued.generation.userId;
    const activeBefore = await usage(user);
    const res = await post(`/api/v1/generations/${queued.generation.id}/cancel`);
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ id: queued.generation.id, status: 'cancelled' });
    expect(await usage(user)).toBe(activeBefore - 1);
    // Its job is cancelled in pg-boss if no worker had it yet; a worker waiting for a slot sees the cancel and ends it.
    const jobState = async () => (await tdb.pool.query<{ state: string }>(`select state from pgboss.job where id = $1`, [queued.jobId])).rows[0]!.state;
    await expect.poll(jobState, { timeout: 10_000 }).toMatch(/^(cancelled|completed)$/);
    expect((await h.repo.get(queued.generation.id)).status).toBe('cancelled');

    const again = await post(`/api/v1/generations/${queued.generation.id}/cancel`);
    expect(again.status).toBe(409);
    expect(await errorOf(again)).toMatchObject({ code: 'conflict', details: { status: 'cancelled' } });
    const audit = await tdb.pool.query(`select actor, before, after from audit_log where entity = 'generation' and entity_id = $1`, [queued.generation.id]);
    expect(audit.rows).toEqual([{ actor: 'admin-token', before: { status: 'queued' }, after: { status: 'cancelled' } }]);
    await post(`/api/v1/instances/${comfyId}/enable`);
  });

  test('cancelling a running generation interrupts it on ComfyUI; its timeline shows how far it got', async () => {
    comfy.setSecondsPerStep(0.1);
    const running = await h.enqueue({ steps: 100 });
    const placed = await h.waitFor(running.generation.id, ['running']);
    await comfy.waitFor('execution_start', placed.comfyPromptId!, 10_000);
    const res = await post(`/api/v1/generations/${running.generation.id}/cancel`);
    expect(res.status).toBe(202);
    expect(((await res.json()) as { status: string }).status).toBe('cancel_requested');
    const ended = await h.waitFor(running.generation.id, ['cancelled']);
    expect(comfy.executions.find((e) => e.promptId === ended.comfyPromptId)?.status).toBe('interrupted');
    comfy.setSecondsPerStep(0.005);

    const shown = (await (await api.request(`/api/v1/generations/${ended.id}`)).json()) as { timeline: { step: string; done: boolean; at: string | null; detail: Record<string, unknown> }[] };
    const step = (name: string) => shown.timeline.find((s) => s.step === name)!;
    expect(shown.timeline.map((s) => s.step)).toEqual(['queued', 'placed', 'submitted', 'progress', 'finished', 'delivered']);
    expect(step('placed')).toMatchObject({ done: true, detail: { instanceId: comfyId } });
    expect(step('submitted')).toMatchObject({ done: true, detail: { promptId: ended.comfyPromptId } });
    expect(step('finished')).toMatchObject({ done: true, detail: { status: 'cancelled' } });
    expect(step('progress').done).toBe(false);
  });

  test('cancelling an unknown generation is 404, a bad id 400', async () => {
    expect((await post('/api/v1/generations/00000000-0000-4000-8000-00000000ffff/cancel')).status).toBe(404);
    expect((await post('/api/v1/generations/nope/cancel')).status).toBe(400);
    expect((await api.request('/api/v1/generations/00000000-0000-4000-8000-00000000ffff/cancel', { method: 'POST', token: null })).status).toBe(401);
  });
});
