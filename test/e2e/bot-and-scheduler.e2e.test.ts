import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { MikroORM } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startAdminApi, type RunningAdminApi } from '#admin/start.ts';
import { createOrm } from '#shared/db/orm.ts';
import { asDb } from '#shared/db/pool.ts';
import { ImageLinks } from '#shared/images/image-links.ts';
import { createLogger } from '#shared/logging.ts';
import { LocalStorage } from '#shared/storage/local-storage.ts';
import { startE2E, type E2E } from '../support/e2e.ts';
import { startSchedulerHarness, type SchedulerHarness } from '../support/scheduler-harness.ts';

let e2e: E2E;
let scheduler: SchedulerHarness;
let orm: MikroORM;
let admin: RunningAdminApi;
let storageDir: string;

beforeAll(async () => {
  e2e = await startE2E({ comfy: true });
  // The admin API serves what the scheduler stores; the links the scheduler posts point at it.
  storageDir = await mkdtemp(path.join(tmpdir(), 'gn-e2e-images-'));
  orm = await createOrm(e2e.db.url);
  const db = asDb(e2e.db.pool);
  admin = await startAdminApi({
    db, orm, adminToken: 'e2e-admin-token-0123456789abcdef', logger: createLogger({ level: 'silent' }), host: '127.0.0.1', port: 0,
    images: { storage: new LocalStorage(storageDir), links: new ImageLinks({ db, ttlSeconds: 600, baseUrl: 'http://unused' }) },
  });
  scheduler = await startSchedulerHarness({
    tdb: e2e.db, discord: e2e.sim, comfyUrls: [e2e.comfy!.url], env: { STORAGE_DIR: storageDir, PUBLIC_BASE_URL: admin.url },
  });
});
afterAll(async () => {
  await scheduler?.stop();
  await admin?.close();
  await orm?.close();
  await e2e?.stop();
});

const titleOf = (embeds: unknown) => (embeds as { title?: string }[] | undefined)?.[0]?.title ?? '';
const cancelId = (message: { components?: unknown[] }) =>
  ((message.components?.[0] as { components?: { custom_id?: string }[] } | undefined)?.components?.[0]?.custom_id ?? '');

describe('bot and scheduler together (sim/discord + sim/comfyui)', () => {
  test('the Queued reply becomes live progress (≤ 1 edit per 1.5 s), then the result with the image', async () => {
    e2e.comfy!.setSecondsPerStep(0.1);
    const player = e2e.playUser();
    const started = Date.now();
    const { message } = await player.imagine({ prompt: 'a slow sunrise over the sea', steps: 40 });
    await expect.poll(() => message()?.attachments.length ?? 0, { timeout: 20_000 }).toBe(1);
    const elapsed = Date.now() - started;
    const final = message()!;
    const titles = [...final.edits.map((e) => titleOf(e.embeds)), titleOf(final.embeds)];
    expect(titles[0]).toMatch(/^Queued/);
    const progress = titles.filter((t) => t.startsWith('⏳ Generating'));
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(progress.length).toBeLessThanOrEqual(Math.ceil(elapsed / 1500) + 1);
    expect(titles.at(-1)).toContain('a slow sunrise over the sea');
    expect(e2e.sim.violations).toEqual([]);

    // The link in the delivered embed opens the image it shows, from the admin API, as a user would.
    const link = (final.embeds[0] as { url?: string }).url!;
    expect(link.startsWith(`${admin.url}/images/`)).toBe(true);
    const image = await fetch(link);
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toBe('image/png');
    const generationId = /\/images\/([0-9a-f-]{36})\/0\?/.exec(link)![1]!;
    const stored = await readFile(path.join(storageDir, (await scheduler.repo.get(generationId)).outputs[0]!.path!));
    expect(Buffer.from(await image.arrayBuffer()).equals(stored)).toBe(true);
    const attached = await fetch(final.attachments[0]!.url);
    expect(Buffer.from(await attached.arrayBuffer()).equals(stored)).toBe(true);
  });

  test('Cancel pressed while the GPU runs it: interrupted in ComfyUI, the message ends Cancelled', async () => {
    e2e.comfy!.setSecondsPerStep(0.1);
    const player = e2e.playUser();
    const queued = await player.imagine({ prompt: 'never mind', steps: 60 });
    const generationId = cancelId(queued.message()!).split(':')[2]!;
    await expect.poll(async () => (await scheduler.repo.get(generationId)).comfyPromptId, { timeout: 10_000 }).toBeTruthy();
    const promptId = (await scheduler.repo.get(generationId)).comfyPromptId!;
    await e2e.comfy!.waitFor('execution_start', promptId, 10_000);
    await player.click(queued.message()!, cancelId(queued.message()!));
    await scheduler.waitFor(generationId, ['cancelled'], { delivered: true, timeoutMs: 10_000 });
    await expect.poll(() => titleOf(queued.message()?.embeds), { timeout: 5_000 }).toMatch(/Cancelled/);
    expect(e2e.comfy!.executions.find((e) => e.promptId === promptId)?.status).toBe('interrupted');
  });
});
