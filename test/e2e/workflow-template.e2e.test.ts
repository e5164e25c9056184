import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { MikroORM } from '@mikro-orm/postgresql';
import { MessageFlags } from 'discord.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startAdminApi, type RunningAdminApi } from '#admin/start.ts';
import { discoverModelsJob } from '#scheduler/jobs/discover-models.ts';
import { createOrm } from '#shared/db/orm.ts';
import { asDb } from '#shared/db/pool.ts';
import { ImageLinks } from '#shared/images/image-links.ts';
import { createLogger } from '#shared/logging.ts';
import { LocalStorage } from '#shared/storage/local-storage.ts';
import { startE2E, type E2E, type Played } from '../support/e2e.ts';
import { jobHelpers } from '../support/scheduler-context.ts';
import { startSchedulerHarness, type SchedulerHarness } from '../support/scheduler-harness.ts';
import { exportedTxt2Img, exportedTxt2ImgBindings } from '../support/workflow-template-fixture.ts';

const adminToken = 'e2e-admin-token-0123456789abcdef';
let e2e: E2E;
let scheduler: SchedulerHarness;
let orm: MikroORM;
let admin: RunningAdminApi;
let member: string;

beforeAll(async () => {
  e2e = await startE2E({ comfy: true, guildRoles: 1 });
  member = e2e.guild.roleIds![0]!;
  orm = await createOrm(e2e.db.url);
  const db = asDb(e2e.db.pool);
  admin = await startAdminApi({
    db, orm, adminToken, logger: createLogger({ level: 'silent' }), host: '127.0.0.1', port: 0,
    images: { storage: new LocalStorage(await mkdtemp(path.join(tmpdir(), 'gn-e2e-wf-'))), links: new ImageLinks({ db, ttlSeconds: 600, baseUrl: 'http://unused' }) },
  });
  scheduler = await startSchedulerHarness({ tdb: e2e.db, discord: e2e.sim, comfyUrls: [e2e.comfy!.url] });
  await discoverModelsJob.handle(scheduler.scheduler.context, {}, jobHelpers());
  // What an operator does: upload ComfyUI's exported default graph, open to one role only.
  const res = await fetch(`${admin.url}/api/v1/workflows`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'classic', description: 'the default graph', allowedRoles: [member], workflow: exportedTxt2Img(), bindings: exportedTxt2ImgBindings() }),
  });
  expect(res.status, await res.clone().text()).toBe(201);
});
afterAll(async () => {
  await scheduler?.stop();
  await admin?.close();
  await orm?.close();
  await e2e?.stop();
});

const data = (p: Played) => p.response.data as { flags?: number; embeds?: { title?: string; description?: string }[]; choices?: { name: string; value: string }[] };

describe('/imagine workflow: through discord.js against sim/discord, scheduler on sim/comfyui', () => {
  test('autocomplete offers the template to the role it is open to, and only to it', async () => {
    const player = e2e.playUser();
    expect(data(await player.autocomplete('workflow', 'cla', {}, { roles: [member] })).choices).toEqual([{ name: 'classic — the default graph', value: 'classic' }]);
    expect(data(await player.autocomplete('workflow', '', {})).choices).toEqual([]);
  });

  test('/imagine workflow:classic is built from the uploaded graph and delivered with the image', async () => {
    const player = e2e.playUser();
    const queued = await player.imagine({ prompt: 'a lighthouse at dusk', workflow: 'classic', size: '512x512', steps: 4 }, { roles: [member] });
    expect(data(queued).embeds?.[0]?.title).toMatch(/^Queued/);
    await expect.poll(() => queued.message()?.attachments.length ?? 0, { timeout: 20_000 }).toBe(1);
    const row = (await e2e.db.pool.query<{ id: string; workflow_template: string; workflow_version_id: number | null; comfy_prompt_id: string; status: string }>(
      `select id, workflow_template, workflow_version_id, comfy_prompt_id, status from generation where user_id = $1`, [player.user.id])).rows[0]!;
    expect(row).toMatchObject({ workflow_template: 'classic', workflow_version_id: expect.any(Number), status: 'succeeded' });
    // ComfyUI received the operator's graph (its node ids) with the member's values bound in.
    const history = (await (await fetch(`${e2e.comfy!.url}/history/${row.comfy_prompt_id}`)).json()) as Record<string, { prompt: [number, string, Record<string, { inputs: Record<string, unknown> }>] }>;
    const graph = history[row.comfy_prompt_id]!.prompt[2];
    expect(Object.keys(graph).sort()).toEqual(['3', '4', '5', '6', '7', '8', '9']);
    expect(graph['6']!.inputs.text).toBe('a lighthouse at dusk');
    expect(graph['5']!.inputs).toMatchObject({ width: 512, height: 512 });
    expect(graph['3']!.inputs.steps).toBe(4);
    expect(graph['9']!.inputs.filename_prefix).toBe(`genonaut/${row.id}`);

    // 🔁 on the result: the same template again, recorded as made from it.
    const result = queued.message()!;
    const regenerate = ((result.components ?? []) as { components?: { emoji?: { name?: string }; custom_id?: string }[] }[])
      .flatMap((r) => r.components ?? []).find((b) => b.emoji?.name === '🔁')!.custom_id!;
    const again = await player.click(result, regenerate, { roles: [member] });
    expect(data(again).embeds?.[0]?.title).toMatch(/^Queued/);
    await expect.poll(async () => (await e2e.db.pool.query(`select status from generation where parent_id = $1`, [row.id])).rows[0]?.status, { timeout: 20_000 }).toBe('succeeded');
    const child = (await e2e.db.pool.query(`select workflow_template, workflow_version_id from generation where parent_id = $1`, [row.id])).rows[0];
    expect(child).toEqual({ workflow_template: 'classic', workflow_version_id: row.workflow_version_id });
    expect(e2e.sim.violations).toEqual([]);
  });

  test('a member without the role, or a name that is not a template, is told so and nothing is queued', async () => {
    const player = e2e.playUser();
    for (const workflow of ['classic', 'nope']) {
      const refused = await player.imagine({ prompt: 'x', workflow });
      expect((data(refused).flags ?? 0) & MessageFlags.Ephemeral).toBe(MessageFlags.Ephemeral);
      expect(data(refused).embeds?.[0]?.description).toContain(`\`workflow\`: "${workflow}" does not exist, is switched off, or is not open to your roles.`);
    }
    expect((await e2e.db.pool.query('select 1 from generation where user_id = $1', [player.user.id])).rowCount).toBe(0);
  });

  test('a LoRA for a template without a LoRA binding is refused, naming the option', async () => {
    const bindings: Record<string, unknown> = exportedTxt2ImgBindings();
    delete bindings.loras;
    const res = await fetch(`${admin.url}/api/v1/workflows`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'no-loras', workflow: exportedTxt2Img(), bindings }),
    });
    expect(res.status).toBe(201);
    const player = e2e.playUser();
    const refused = await player.imagine({ prompt: 'x', workflow: 'no-loras', lora: 'watercolor.safetensors' });
    expect(data(refused).embeds?.[0]?.description).toContain('`lora`: the workflow no-loras takes no LoRAs.');
    expect(data(await player.imagine({ prompt: 'x', workflow: 'no-loras' })).embeds?.[0]?.title).toMatch(/^Queued/);
  });
});
