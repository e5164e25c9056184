import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startE2E, type E2E } from '../support/e2e.ts';
import { startSchedulerHarness, type SchedulerHarness } from '../support/scheduler-harness.ts';

let e2e: E2E;
let scheduler: SchedulerHarness;

beforeAll(async () => {
  e2e = await startE2E({ comfy: true });
  scheduler = await startSchedulerHarness({ tdb: e2e.db, discord: e2e.sim, comfyUrls: [e2e.comfy!.url] });
});
afterAll(async () => {
  await scheduler?.stop();
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
