import { randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { listInstances, type InstanceRow } from '#shared/db/sql/instances.ts';
import { parseConfig, secretValues } from '#shared/config.ts';
import { discoverModelsJob } from '#scheduler/jobs/discover-models.ts';
import { requestCancel } from '#shared/generation/cancel.ts';
import { jobHelpers } from '../support/scheduler-context.ts';
import { schedulerForFile } from '../support/scheduler-world.ts';

const token = randomBytes(24).toString('base64url');
const world = schedulerForFile({ comfy: { version: '0.38', models: { checkpoints: ['base.safetensors'], loras: [] }, secondsPerStep: 0.002, proxy: { basePath: '/gpu-1', bearerToken: token } }, env: (comfy) => ({ COMFYUI_AUTHORIZATIONS: JSON.stringify({ [`${comfy.url}/`]: `Bearer ${token}` }) }) });

describe('a ComfyUI 0.38 instance behind a reverse proxy (base path + bearer token from COMFYUI_AUTHORIZATIONS)', () => {
  test('the configured header is stored on the instance, kept out of instance listings, and used for discovery, submit, events and downloads', async () => {
    const stored = await world.tdb.pool.query<{ base_url: string; proxy_authorization: string }>('select base_url, proxy_authorization from comfy_instance');
    expect(stored.rows).toEqual([{ base_url: world.comfy.url, proxy_authorization: `Bearer ${token}` }]);
    const listed = (await world.tdb.pool.query<InstanceRow>(listInstances().text)).rows;
    expect(JSON.stringify(listed)).not.toContain(token);

    const discovery = await discoverModelsJob.handle(world.h.scheduler.context, {}, jobHelpers());
    expect(discovery).toBeUndefined();
    expect((await world.tdb.pool.query('select file_name from model')).rows).toContainEqual({ file_name: 'base.safetensors' });

    const { generation } = await world.h.enqueue({ width: 64, height: 64 });
    const done = await world.h.waitFor(generation.id, ['succeeded'], { delivered: true });
    expect(done.outputs).toHaveLength(1);
    // Reconciled and collected through the jobs API, below the proxy's base path.
    expect(world.comfy.requests).toContain(`GET /api/jobs/${done.comfyPromptId}`);
    expect(world.comfy.executions.filter((e) => e.promptId === done.comfyPromptId)).toHaveLength(1);
  });

  test('the scheduler cancels a pending and a running prompt atomically through the jobs API', async () => {
    world.comfy.setSecondsPerStep(0.2);
    const running = await world.h.enqueue({ width: 64, height: 64, steps: 30 });
    await expect.poll(async () => (await world.h.repo.get(running.generation.id)).comfyPromptId, { timeout: 5000 }).toBeTruthy();
    const runningId = (await world.h.repo.get(running.generation.id)).comfyPromptId!;
    await world.comfy.waitFor('execution_start', runningId, 5000);
    world.comfy.pause(); // the next prompt stays pending
    // Keep-ahead places a next prompt in the busy instance's queue only while more wait than there
    // are instances: two wait here, so the first is placed (pending in ComfyUI), the other stays in line.
    const pending = await world.h.enqueue({ width: 64, height: 64, steps: 30 });
    const extra = await world.h.enqueue({ width: 64, height: 64, steps: 30 });
    await expect.poll(async () => (await world.h.repo.get(pending.generation.id)).comfyPromptId, { timeout: 5000 }).toBeTruthy();
    const pendingId = (await world.h.repo.get(pending.generation.id)).comfyPromptId!;
    await requestCancel(world.tdb.pool, world.h.scheduler.boss, extra.generation.id);
    await world.h.waitFor(extra.generation.id, ['cancelled'], { delivered: true });

    await requestCancel(world.tdb.pool, world.h.scheduler.boss, pending.generation.id);
    await world.h.waitFor(pending.generation.id, ['cancelled'], { delivered: true });
    world.comfy.resume();
    await requestCancel(world.tdb.pool, world.h.scheduler.boss, running.generation.id);
    await world.h.waitFor(running.generation.id, ['cancelled'], { delivered: true });
    world.comfy.setSecondsPerStep(0.002);

    expect(world.comfy.requests).toEqual(expect.arrayContaining([`POST /api/jobs/${pendingId}/cancel`, `POST /api/jobs/${runningId}/cancel`]));
    expect(world.comfy.requests.filter((r) => r === 'POST /queue' || r === 'POST /interrupt')).toEqual([]);
    expect(world.comfy.executions.filter((e) => e.promptId === pendingId)).toEqual([]);
    expect(world.comfy.executions.filter((e) => e.promptId === runningId).map((e) => e.status)).toEqual(['interrupted']);
  });

  test('COMFYUI_AUTHORIZATIONS is validated, and its values are registered as secrets', () => {
    const env = { ...world.h.env };
    expect(() => parseConfig('scheduler', { ...env, COMFYUI_AUTHORIZATIONS: 'Bearer x' })).toThrow(/COMFYUI_AUTHORIZATIONS: expected a JSON object/);
    expect(() => parseConfig('scheduler', { ...env, COMFYUI_AUTHORIZATIONS: '{"not a url":"Bearer x"}' })).toThrow(/COMFYUI_AUTHORIZATIONS/);
    const config = parseConfig('scheduler', env);
    expect(secretValues(config)).toEqual(expect.arrayContaining([`Bearer ${token}`, token]));
  });
});
