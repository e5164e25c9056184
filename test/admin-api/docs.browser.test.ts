import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildOpenApiDocument } from '#admin/openapi/document.ts';
import { launchBrowser, pageProblems, screenshot } from '../support/browser.ts';
import { adminApiForFile } from './harness.ts';

const world = adminApiForFile();
let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

describe('/docs in a real browser', () => {
  test('Swagger UI renders every documented operation under our Content-Security-Policy', async () => {
    const page = await browser.newPage();
    const problems = pageProblems(page);
    await page.goto(`${world.api.url}/docs`);
    const operations = Object.values(buildOpenApiDocument().paths).flatMap((item) => Object.keys(item as object));
    const blocks = page.locator('.opblock-summary');
    await expect.poll(() => blocks.count(), { timeout: 15_000 }).toBe(operations.length);
    await expect.poll(() => page.locator('.info .title').textContent()).toContain('Genonaut');

    // Expanding an operation shows its parameters, taken from the zod schemas.
    await page.locator('.opblock-summary', { hasText: '/api/v1/generations/{id}/cancel' }).first().click();
    await expect.poll(() => page.locator('.opblock.is-open tbody .parameters-col_name').allTextContents()).toEqual([expect.stringMatching(/^id\b.*uuid.*path/)]);
    await screenshot(page, 'admin-docs');
    expect(problems).toEqual([]);
    await page.close();
  });
});
