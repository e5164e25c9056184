import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startComfySim, type ComfySim } from '#sim/comfyui/index.ts';
import { launchBrowser, pageProblems, screenshot } from '../support/browser.ts';
import { adminApiForFile, adminToken } from './harness.ts';

// Needs `POST /api/v1/models/refresh` (branch `adminapi`): the console's "Refresh models" against discovery on sim/comfyui.
const world = adminApiForFile();
let comfy: ComfySim;
let browser: Browser;

beforeAll(async () => {
  comfy = await startComfySim({ models: { vae: [], embeddings: [], checkpoints: ['base.safetensors', 'spare.safetensors'], loras: ['ink.safetensors'] } });
  await world.tdb.pool.query(`insert into comfy_instance (id, name, base_url) values (1, 'gpu-a', $1), (2, 'gpu-down', 'http://127.0.0.1:9')`, [comfy.url]);
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await comfy?.close();
});

const fileNames = (page: Page) => page.locator('tr[data-model-id] .sub').allTextContents();

describe('"Refresh models" in the console', () => {
  test('shows what discovery added, then what it retired, and the list follows', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const problems = pageProblems(page);
    await page.goto(`${world.api.url}/admin`);
    await page.getByLabel('Admin token').fill(adminToken);
    await page.getByRole('button', { name: 'Open console' }).click();
    await expect.poll(() => page.locator('tbody td.sub').textContent()).toBe('No model matches these filters.');

    await page.getByRole('button', { name: 'Refresh models' }).click();
    const summary = page.locator('.refresh-result');
    await expect.poll(() => summary.locator('strong').first().textContent()).toBe('Refresh: 3 added, 0 updated, 0 retired, 1 instance(s) unreachable');
    expect(await summary.textContent()).toContain('gpu-down:');
    expect(await summary.textContent()).not.toContain('null');
    await expect.poll(async () => (await fileNames(page)).sort()).toEqual(['base.safetensors', 'ink.safetensors', 'spare.safetensors']);
    await screenshot(page, 'admin-console-refresh');

    comfy.removeModel('checkpoints', 'spare.safetensors');
    await page.getByRole('button', { name: 'Refresh models' }).click();
    await expect.poll(() => summary.locator('strong').first().textContent()).toBe('Refresh: 0 added, 0 updated, 1 retired, 1 instance(s) unreachable');
    expect(await summary.locator('li').allTextContents()).toContain('checkpoint spare.safetensors');
    const { rows } = await world.tdb.pool.query(`select file_name, available from model order by file_name`);
    expect(rows).toEqual([
      { file_name: 'base.safetensors', available: true },
      { file_name: 'ink.safetensors', available: true },
      { file_name: 'spare.safetensors', available: false },
    ]);
    expect(problems).toEqual([]);
    await page.close();
  });
});
