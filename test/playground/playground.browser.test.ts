import type { Browser, Page } from 'playwright-core';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createLogger } from '#shared/logging.ts';
import { startPlayground, type RunningPlayground } from '../../scripts/playground/stack.ts';
import { launchBrowser, pageProblems, screenshot } from '../support/browser.ts';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.ts';

// `npm run playground`'s stack in-process (real database, both stand-ins, scheduler, bot, admin API) and its page
// in a real Chromium: what a member types and clicks there, and what they see.

let db: TestDatabase;
let storageDir: string;
let playground: RunningPlayground;
let browser: Browser;
/** How long to wait for something the bot does; two shared cores can be slow, a broken page never gets there. */
const bot = { timeout: 30_000 };

beforeAll(async () => {
  db = await createTestDatabase();
  storageDir = await mkdtemp(path.join(tmpdir(), 'gn-playground-'));
  playground = await startPlayground({ databaseUrl: db.url, logger: createLogger({ level: 'silent' }), port: 0, storageDir, secondsPerStep: 0.02 });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await playground?.stop();
  await db?.drop();
  if (storageDir) await rm(storageDir, { recursive: true, force: true });
});

// Run inside the page (strings: this project compiles without the DOM library).
const RECORD_TITLES = `(() => {
  const seen = (window.seenTitles = []);
  new MutationObserver(() => {
    for (const t of document.querySelectorAll('.embed-title')) if (!seen.includes(t.textContent)) seen.push(t.textContent);
  }).observe(document.getElementById('messages'), { childList: true, subtree: true });
})()`;
const LOADED_IMAGES = `[...document.querySelectorAll('.messages img')].filter((i) => i.complete && i.naturalWidth > 0).length`;

/** Every embed title the page ever showed, also those edited away before a poll could see them. */
const recordTitles = (page: Page) => page.evaluate(RECORD_TITLES);
const seenTitles = (page: Page) => page.evaluate<string[]>('window.seenTitles');
/** Images in the channel that the browser actually decoded. */
const loadedImages = (page: Page) => page.evaluate<number>(LOADED_IMAGES);

async function type(page: Page, line: string): Promise<void> {
  await page.locator('#composer').fill(line);
  await page.locator('#composer').press('Enter');
}

describe('the playground page in a real browser', { timeout: 120_000 }, () => {
  test('a member types /imagine, watches it queue and finish with an image, regenerates with 🔁, cancels a queued one; a moderator deletes with 🗑', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const problems = pageProblems(page);
    await page.goto(playground.url);
    await expect.poll(() => page.locator('#status').textContent(), bot).toBe('live');
    await expect.poll(() => page.locator('#member option').allTextContents(), bot).toEqual(['alice', 'bob', 'morgan (moderator)']);
    await recordTitles(page);

    // Autocomplete comes from the bot: typing model:dream lists the stand-in's checkpoint.
    await page.locator('#composer').fill('/imagine a lighthouse at dusk model:dream');
    await expect.poll(() => page.locator('.suggestion-name').allTextContents(), bot).toEqual([expect.stringContaining('dreamshaper_8.safetensors')]);
    await page.locator('#composer').press('Tab');
    await expect.poll(() => page.locator('#composer').inputValue(), bot).toBe('/imagine a lighthouse at dusk model:dreamshaper_8.safetensors ');
    await page.locator('#composer').press('Enter');

    await expect.poll(() => seenTitles(page), bot).toContainEqual(expect.stringMatching(/^Queued — #1 in line/));
    await expect.poll(() => loadedImages(page), { timeout: 20_000 }).toBe(1);
    await screenshot(page, 'playground-result');
    const result = page.locator('.message', { has: page.locator('img') }).first();
    await expect.poll(() => result.locator('.embed-field-value').allTextContents(), bot).toContain('dreamshaper_8.safetensors');
    await screenshot(page, 'playground-result');

    // 🔁 runs the same request again: a second message, a second image.
    await result.locator('button', { hasText: '🔁' }).click();
    await expect.poll(() => loadedImages(page), { timeout: 20_000 }).toBe(2);
    await screenshot(page, 'playground-regenerated');

    // A slow one holds the GPU; the next waits in line, and its Cancel ends it before it runs.
    playground.comfy.setSecondsPerStep(0.5);
    await type(page, '/imagine a slow one steps:150');
    await expect.poll(() => page.locator('.message', { hasText: 'a slow one' }).locator('.embed-title').textContent(), bot).toMatch(/Generating/);
    await type(page, '/imagine waits in line');
    const waiting = page.locator('.message', { hasText: 'waits in line' });
    await expect.poll(() => waiting.locator('.embed-title').textContent(), bot).toMatch(/^Queued/);
    await waiting.locator('button', { hasText: 'Cancel' }).click();
    // At once while it waits in our queue; "Cancelling…" first if it already sits in ComfyUI's own queue.
    await expect.poll(() => waiting.locator('.embed-title').textContent(), bot).toMatch(/Cancelled/);
    expect(await waiting.locator('button', { hasText: 'Cancel' }).count()).toBe(0);
    await screenshot(page, 'playground-cancelled');
    await page.locator('.message', { hasText: 'a slow one' }).locator('button', { hasText: 'Cancel' }).click();
    playground.comfy.setSecondsPerStep(0.02);

    // morgan, a moderator, deletes one of alice's images with 🗑: it leaves the channel for everyone.
    await page.locator('#member').selectOption({ label: 'morgan (moderator)' });
    await expect.poll(() => loadedImages(page), bot).toBe(2);
    await page.locator('.message', { has: page.locator('img') }).first().locator('button', { hasText: '🗑' }).click();
    await expect.poll(() => page.locator('.message', { has: page.locator('img') }).count(), bot).toBe(1);

    expect(problems).toEqual([]);
    await page.close();
  });

  test('a bare /imagine opens the bot form; errors are for the member who erred; typed markup stays text; ▶ pages a batch', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const problems = pageProblems(page);
    await page.goto(playground.url);
    await expect.poll(() => page.locator('#status').textContent(), bot).toBe('live');

    const markup = '<img src=x onerror="document.title=1">a cat';
    await type(page, '/imagine');
    await expect.poll(() => page.locator('dialog[open] .modal-title').textContent(), bot).toBe('Imagine');
    await page.locator('dialog[open] textarea[name="prompt"]').fill(markup);
    await screenshot(page, 'playground-modal');
    await page.locator('dialog[open] button[type="submit"]').click();
    const submitted = page.locator('.message', { hasText: 'a cat' });
    await expect.poll(() => submitted.count(), bot).toBe(1);
    await expect.poll(() => submitted.locator('.embed').first().textContent(), bot).toContain(markup);
    expect(await page.locator('.messages img[src="x"]').count()).toBe(0);

    // Discord's client would refuse steps:9999; the page sends it, and the bot's own check answers alice alone.
    await type(page, '/imagine a dog steps:9999');
    const refusal = page.locator('.message.ephemeral');
    await expect.poll(() => refusal.count(), bot).toBe(1);
    await expect.poll(() => refusal.textContent(), bot).toContain('steps');
    await expect.poll(() => refusal.textContent(), bot).toContain('Only you can see this');
    await screenshot(page, 'playground-ephemeral');
    await page.locator('#member').selectOption({ label: 'bob' });
    await expect.poll(() => page.locator('.message.ephemeral').count(), bot).toBe(0);
    expect(await page.locator('.message', { hasText: 'a cat' }).count()).toBe(1);

    // A batch of two: ▶ shows the second image in the same message.
    await page.locator('#member').selectOption({ label: 'alice' });
    await type(page, '/imagine two foxes batch:2');
    const batch = page.locator('.message', { hasText: 'two foxes' });
    await expect.poll(() => batch.locator('button', { hasText: '▶' }).count(), { timeout: 20_000 }).toBe(1);
    await expect.poll(() => batch.textContent(), bot).toContain('1 / 2');
    await batch.locator('button', { hasText: '▶' }).click();
    await expect.poll(() => batch.textContent(), bot).toContain('2 / 2');
    // "Full size: [1](<signed link>)" is a link to the admin API, as Discord shows masked links; it serves the image.
    const fullSize = batch.locator('.content a', { hasText: '2' });
    const href = (await fullSize.getAttribute('href'))!;
    expect(href).toMatch(new RegExp(`^${playground.adminUrl}/images/`));
    const image = await fetch(href);
    expect([image.status, image.headers.get('content-type')]).toEqual([200, 'image/png']);
    await expect.poll(() => batch.locator('img').evaluateAll((imgs) => imgs.filter((i) => (i as { naturalWidth: number }).naturalWidth > 0).length), bot).toBe(1);
    await screenshot(page, 'playground-batch');

    expect(await page.title()).toBe('Genonaut playground');
    expect(problems).toEqual([]);
    await page.close();
  });

  test('the form takes a picture to start from: the file upload becomes an attachment, the result says it started from it', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const problems = pageProblems(page);
    await page.goto(playground.url);
    await expect.poll(() => page.locator('#status').textContent(), bot).toBe('live');
    await type(page, '/imagine steps:4');
    await expect.poll(() => page.locator('dialog[open] .modal-title').textContent(), bot).toBe('Imagine');
    await page.locator('dialog[open] textarea[name="prompt"]').fill('a painted harbour');
    const picture = await sharp({ create: { width: 320, height: 256, channels: 3, background: '#336699' } }).png().toBuffer();
    await page.locator('dialog[open] input[type="file"]').setInputFiles({ name: 'harbour.png', mimeType: 'image/png', buffer: picture });
    await page.locator('dialog[open] button[type="submit"]').click();
    const result = page.locator('.message', { hasText: 'a painted harbour' });
    await expect.poll(() => result.locator('.embed-field-value').allTextContents(), { timeout: 20_000 }).toContain('a picture, strength 0.6');
    await expect.poll(() => result.locator('img').evaluateAll((imgs) => imgs.filter((i) => (i as { naturalWidth: number }).naturalWidth > 0).length), bot).toBe(1);
    await screenshot(page, 'playground-img2img');
    expect(problems).toEqual([]);
    await page.close();
  });
});
