import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { consoleContentSecurityPolicy } from '#admin/routes/console.ts';
import { createOrm } from '#shared/db/orm.ts';
import { asDb } from '#shared/db/pool.ts';
import { GenerationRepository } from '#shared/db/repositories/generation-repository.ts';
import { ImageLinks } from '#shared/images/image-links.ts';
import { generationPrefix, originalKey, thumbnailKey } from '#shared/storage/keys.ts';
import { LocalStorage } from '#shared/storage/local-storage.ts';
import { launchBrowser, pageProblems, screenshot } from '../support/browser.ts';
import { generationInput } from '../support/generation-fixture.ts';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.ts';
import { adminToken, serveApp, type ServedApp } from './harness.ts';

let tdb: TestDatabase;
let orm: MikroORM;
let api: ServedApp;
let storage: LocalStorage;
let browser: Browser;
let runningId: string;
let pictureId: string;

const hostilePrompt = '<img src=x onerror="window.pwned=1"> a red fox in the snow';
const hostileName = 'Pixel <b>Art</b>';

/** A succeeded generation whose original and 256 px WebP thumbnail are real files in the API's storage. */
async function generationWithPicture(repo: GenerationRepository): Promise<string> {
  const g = await repo.create(generationInput({ prompt: hostilePrompt, checkpoint: 'sdxl-base.safetensors', width: 96, height: 96 }));
  const prefix = generationPrefix(g.userId, g.createdAt, g.id);
  const png = await sharp({ create: { width: 96, height: 96, channels: 3, background: { r: 200, g: 80, b: 40 } } }).png().toBuffer();
  const webp = await sharp(png).webp().toBuffer();
  const original = await storage.put(originalKey(prefix, 0), png);
  const thumb = await storage.put(thumbnailKey(prefix, 0, 256, 'webp'), webp);
  await repo.transition(g.id, 'running', { comfyInstanceId: 1 });
  await repo.transition(g.id, 'succeeded', {
    outputs: [{
      index: 0, status: 'stored', path: original.key, bytes: original.bytes, sha256: original.sha256, width: 96, height: 96,
      thumbnails: [{ size: 256, format: 'webp', path: thumb.key, bytes: thumb.bytes, sha256: thumb.sha256 }],
    }],
  });
  return g.id;
}

beforeAll(async () => {
  tdb = await createTestDatabase();
  orm = await createOrm(tdb.url);
  const db = asDb(tdb.pool);
  storage = new LocalStorage(mkdtempSync(path.join(tmpdir(), 'gn-console-images-')));
  api = await serveApp({ tdb, orm, images: { storage, links: new ImageLinks({ db, ttlSeconds: 3600, baseUrl: 'http://127.0.0.1:8787' }) } });
  await tdb.pool.query(`insert into model (id, kind, file_name, display_name, enabled) values
    (1, 'checkpoint', 'sdxl-base.safetensors', 'SDXL Base', true),
    (2, 'lora', 'pixel-art.safetensors', $1, true),
    (3, 'checkpoint', 'old-model.safetensors', 'Old model', false)`, [hostileName]);
  await tdb.pool.query(`insert into comfy_instance (id, name, base_url, health, last_error, avg_seconds_per_step, max_queue_depth, last_seen_at)
    values (1, 'gpu-a', 'http://gpu-a.invalid:8188', 'healthy', 'websocket closed <unexpectedly>', 0.42, 2, now())`);
  const repo = new GenerationRepository(db);
  const running = await repo.create(generationInput({ prompt: 'a lighthouse, still rendering' }));
  await repo.transition(running.id, 'running', { comfyInstanceId: 1 });
  runningId = running.id;
  const failed = await repo.create(generationInput({ prompt: 'a broken dream' }));
  await repo.transition(failed.id, 'failed', { errorCode: 'comfy_error', errorMessage: 'out of memory on gpu-a' });
  pictureId = await generationWithPicture(repo);
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await api?.close();
  await orm?.close();
  await tdb?.drop();
});

const modelRow = (page: Page, id: number) => page.locator(`tr[data-model-id="${id}"]`);
const visibleModelIds = (page: Page) => page.locator('tr[data-model-id]').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-model-id'))));
const dbValue = async (sql: string, params: unknown[]) => (await tdb.pool.query(sql, params)).rows[0] as Record<string, unknown>;

describe('/admin in a real browser', () => {
  test('is public, with its own strict CSP and the usual security headers', async () => {
    const res = await api.request('/admin', { token: null });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toBe(consoleContentSecurityPolicy);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    const html = await res.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // every script is a file: the CSP forbids inline ones
    const script = await api.request('/admin/app.js', { token: null });
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(script.headers.get('content-security-policy')).toBe(consoleContentSecurityPolicy);
  });

  test('token, models, instances and generations: every view works against the JSON API', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems = pageProblems(page);
    await page.goto(`${api.url}/admin`);

    // A wrong token is refused with a clear message and not kept.
    await page.getByLabel('Admin token').fill('not-the-token-at-all-0000000');
    await page.getByRole('button', { name: 'Open console' }).click();
    await expect.poll(() => page.locator('#message').textContent()).toContain('Wrong token');
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    expect(await page.getByRole('button', { name: 'Models' }).isVisible()).toBe(false);
    await screenshot(page, 'admin-console-wrong-token');

    await page.getByLabel('Admin token').fill(adminToken);
    await page.getByRole('button', { name: 'Open console' }).click();
    await expect.poll(() => visibleModelIds(page)).toEqual([1, 2, 3]);
    expect(await page.evaluate(() => sessionStorage.getItem('genonaut.adminToken'))).toBe(adminToken);
    // Model names are text, never markup.
    await expect.poll(() => modelRow(page, 2).locator('.name').textContent()).toBe(hostileName);
    expect(await modelRow(page, 2).locator('b').count()).toBe(0);

    // Filters: kind, enabled, search.
    await page.getByLabel('Filter by kind').selectOption('lora');
    await expect.poll(() => visibleModelIds(page)).toEqual([2]);
    await page.getByLabel('Filter by kind').selectOption('');
    await page.getByLabel('Filter by enabled').selectOption('false');
    await expect.poll(() => visibleModelIds(page)).toEqual([3]);
    await page.getByLabel('Filter by enabled').selectOption('');
    await page.getByLabel('Search models').fill('sdxl');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => visibleModelIds(page)).toEqual([1]);
    await page.getByLabel('Search models').fill('');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => visibleModelIds(page)).toEqual([1, 2, 3]);

    // Toggles and edits reach the database.
    await modelRow(page, 3).getByRole('checkbox', { name: 'Enabled: Old model' }).check();
    await expect.poll(() => dbValue('select enabled from model where id = $1', [3])).toEqual({ enabled: true });
    await modelRow(page, 1).getByRole('checkbox', { name: 'NSFW: SDXL Base' }).check();
    await expect.poll(() => dbValue('select nsfw from model where id = $1', [1])).toEqual({ nsfw: true });
    await modelRow(page, 1).getByRole('checkbox', { name: 'Enabled: SDXL Base' }).uncheck();
    await expect.poll(() => dbValue('select enabled from model where id = $1', [1])).toEqual({ enabled: false });

    await modelRow(page, 1).getByRole('button', { name: 'Rename' }).click();
    await page.getByLabel('Display name of sdxl-base.safetensors').fill('SDXL Base 1.0');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(() => dbValue('select display_name from model where id = $1', [1])).toEqual({ display_name: 'SDXL Base 1.0' });
    await expect.poll(() => modelRow(page, 1).locator('.name').textContent()).toBe('SDXL Base 1.0');

    await modelRow(page, 1).getByRole('button', { name: 'Defaults' }).click();
    const defaults = page.locator('tr.defaults-row:not([hidden])');
    await defaults.locator('input[name="defaultSteps"]').fill('30');
    await defaults.locator('input[name="defaultSampler"]').fill('dpmpp_2m');
    await defaults.getByRole('button', { name: 'Save defaults of SDXL Base 1.0' }).click();
    await expect.poll(() => dbValue('select default_steps, default_sampler from model where id = $1', [1])).toEqual({ default_steps: 30, default_sampler: 'dpmpp_2m' });

    // A refused change says why and leaves the row as it was.
    await defaults.locator('input[name="defaultSteps"]').fill('9999');
    await defaults.getByRole('button', { name: 'Save defaults of SDXL Base 1.0' }).click();
    await expect.poll(() => page.locator('#message.error').textContent()).toContain('defaultSteps');
    expect(await dbValue('select default_steps from model where id = $1', [1])).toEqual({ default_steps: 30 });
    const audits = await tdb.pool.query(`select action from audit_log where entity = 'model' order by id`);
    expect(audits.rows.map((r) => r.action)).toEqual(['model.enable', 'model.update', 'model.disable', 'model.update', 'model.update']);
    await screenshot(page, 'admin-console-models');

    // Instances: health, last error, queue depth, speed; Drain keeps the running work.
    await page.getByRole('button', { name: 'Instances' }).click();
    const instance = page.locator('tr[data-instance-id="1"]');
    await expect.poll(() => instance.locator('.state').textContent()).toBe('enabled');
    expect(await instance.textContent()).toContain('healthy');
    expect(await instance.textContent()).toContain('websocket closed <unexpectedly>');
    expect(await instance.textContent()).toContain('0.42');
    expect(await instance.locator('.queue').textContent()).toBe('1 / 2');
    await instance.getByRole('button', { name: 'Drain' }).click();
    await expect.poll(() => page.locator('tr[data-instance-id="1"] .state').textContent()).toBe('draining');
    expect(await dbValue('select enabled, draining from comfy_instance where id = 1', [])).toEqual({ enabled: true, draining: true });
    expect(await dbValue('select status, comfy_instance_id from generation where id = $1', [runningId])).toEqual({ status: 'running', comfy_instance_id: 1 });
    expect(await page.locator('tr[data-instance-id="1"]').getByRole('button', { name: 'Drain' }).isDisabled()).toBe(true);
    await screenshot(page, 'admin-console-instances');

    // Generations: newest first, the thumbnail fetched with the token actually decodes, prompts are text.
    await page.getByRole('button', { name: 'Generations' }).click();
    const cards = page.locator('article.card');
    await expect.poll(() => cards.count()).toBe(3);
    const picture = page.locator(`article[data-generation-id="${pictureId}"] img`);
    await expect.poll(() => picture.evaluate((img) => { const i = img as unknown as { complete: boolean; naturalWidth: number }; return i.complete && i.naturalWidth; })).toBe(96);
    expect(await picture.getAttribute('src')).toMatch(/^blob:/);
    expect(await page.locator(`article[data-generation-id="${pictureId}"] .prompt`).textContent()).toBe(hostilePrompt);
    expect(await page.evaluate(() => (globalThis as unknown as { pwned?: number }).pwned)).toBeUndefined();
    await screenshot(page, 'admin-console-generations');
    await page.getByLabel('Filter by status').selectOption('failed');
    await expect.poll(() => cards.count()).toBe(1);
    expect(await cards.first().textContent()).toContain('out of memory on gpu-a');

    // Older pages come with "Load more".
    const repo = new GenerationRepository(asDb(tdb.pool));
    for (let i = 0; i < 24; i++) {
      const g = await repo.create(generationInput({ prompt: `failure ${i}` }));
      await repo.transition(g.id, 'failed', { errorCode: 'comfy_error', errorMessage: 'node error' });
    }
    await page.getByRole('button', { name: 'Reload' }).click();
    await expect.poll(() => cards.count()).toBe(24);
    await page.getByRole('button', { name: 'Load more' }).click();
    await expect.poll(() => cards.count()).toBe(25);
    expect(await page.getByRole('button', { name: 'Load more' }).isHidden()).toBe(true);
    expect(await cards.last().textContent()).toContain('out of memory on gpu-a');

    // The token survives a reload of the tab; "Forget token" drops it.
    await page.getByLabel('Filter by status').selectOption('');
    await page.reload();
    await expect.poll(() => page.locator('article.card').count()).toBe(24);
    await page.getByRole('button', { name: 'Forget token' }).click();
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    expect(await page.getByLabel('Admin token').isVisible()).toBe(true);
    expect(await page.getByRole('button', { name: 'Models' }).isVisible()).toBe(false);

    // A stored token the API no longer accepts sends the operator back to the sign-in box, saying why.
    await page.evaluate(() => sessionStorage.setItem('genonaut.adminToken', 'a-token-that-was-rotated-away'));
    await page.reload();
    await expect.poll(() => page.locator('#message.error').textContent()).toContain('no longer accepts the stored token');
    expect(await page.getByLabel('Admin token').isVisible()).toBe(true);
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);

    // The only console lines are the browser's own notes on the refusals asked for above.
    const refused = (status: string) => `console: Failed to load resource: the server responded with a status of ${status}`;
    expect(problems).toEqual([refused('401 (Unauthorized)'), refused('400 (Bad Request)'), refused('401 (Unauthorized)')]);
    await page.close();
  });
});
