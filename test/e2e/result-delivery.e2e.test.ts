import { mkdtemp } from 'node:fs/promises';
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
import { sendJob } from '#shared/queue/send.ts';
import type { SimMessage } from '#sim/discord/index.ts';
import { startE2E, type E2E } from '../support/e2e.ts';
import { startSchedulerHarness, type SchedulerHarness } from '../support/scheduler-harness.ts';

let e2e: E2E;
let scheduler: SchedulerHarness;
let orm: MikroORM;
let admin: RunningAdminApi;

beforeAll(async () => {
  const storageDir = await mkdtemp(path.join(tmpdir(), 'gn-e2e-delivery-'));
  e2e = await startE2E({
    comfy: true,
    // The bot reads what the scheduler stores (/generation re-posts it); links point at the admin API.
    images: async (tdb) => {
      orm = await createOrm(tdb.url);
      const db = asDb(tdb.pool);
      admin = await startAdminApi({
        db, orm, adminToken: 'e2e-admin-token-0123456789abcdef', logger: createLogger({ level: 'silent' }), host: '127.0.0.1', port: 0,
        images: { storage: new LocalStorage(storageDir), links: new ImageLinks({ db, ttlSeconds: 600, baseUrl: 'http://unused' }) },
      });
      return { storageDir, baseUrl: admin.url };
    },
  });
  scheduler = await startSchedulerHarness({
    tdb: e2e.db, discord: e2e.sim, comfyUrls: [e2e.comfy!.url], env: { STORAGE_DIR: storageDir, PUBLIC_BASE_URL: admin.url },
  });
  e2e.comfy!.setSecondsPerStep(0.02);
});
afterAll(async () => {
  await scheduler?.stop();
  await admin?.close();
  await orm?.close();
  await e2e?.stop();
});

// The longest prompt and negative Discord lets a member type (2000 each), made of what trips limits up:
// emoji sequences, zero-width characters, right-to-left text and overrides, markdown and mentions.
const pieces = ['👨‍👩‍👧‍👦', '🇳🇴', '\u200b', '\u200d', '\ufeff', 'שלום עולם', 'مرحبا', '\u202e', '\u202c', '**bold**', '<@123>', '@everyone', 'e\u0301', ' '];
function hostile(max: number): string {
  let text = '';
  for (let i = 0; text.length + pieces[i % pieces.length]!.length <= max; i++) text += pieces[i % pieces.length];
  return text;
}

const generationIdOf = (message: SimMessage) => /Generation ([0-9a-f-]{36})/.exec(JSON.stringify(message.embeds))![1]!;
const resultLanded = (message: SimMessage | undefined) => (message?.embeds[0] as { title?: string } | undefined)?.title?.startsWith('🎨') ?? false;

/** REST calls that carried the result (an image file or the result embed) for this message or channel. */
const resultWrites = (channelId: string, messageId: string) =>
  e2e.sim.requests.filter((r) => r.status < 300 && r.method !== 'GET' && JSON.stringify(r.body ?? '').includes('🎨')
    && (r.path.includes(messageId) || r.path === `/channels/${channelId}/messages` || r.path.includes('/webhooks/')));

describe('results delivered through the real bot and scheduler', () => {
  test("a 20-minute generation on Discord's clock lands after the token expired: edited into the bot's own message, exactly once", async () => {
    const player = e2e.playUser();
    const before = e2e.sim.messages(e2e.channel.id).length;
    const queued = await player.imagine({ prompt: 'a very slow glacier', steps: 20 });
    const message = queued.message()!;
    const id = generationIdOf(message);
    const running = await scheduler.waitFor(id, ['running'], { timeoutMs: 10_000 });
    await e2e.comfy!.waitFor('execution_start', running.comfyPromptId!, 10_000);
    // The GPU holds it while Discord's clock runs 20 minutes: the interaction token (15 min) dies meanwhile.
    e2e.comfy!.pause();
    // 13 minutes in, the token has 2 left and the reply's message id is still unknown (the reply did not
    // ask for it): that minute's keep-reply-ids run asks Discord through the token and stores it.
    e2e.sim.advanceClock(13 * 60_000);
    expect((await scheduler.repo.get(id)).messageId).toBeNull();
    await e2e.db.pool.query(`update generation set interaction_token_expires_at = now() + interval '2 minutes' where id = $1`, [id]);
    await sendJob(scheduler.scheduler.boss, 'keep-reply-ids', {});
    await expect.poll(async () => (await scheduler.repo.get(id)).messageId, { timeout: 10_000 }).toBe(message.id);
    e2e.sim.advanceClock(7 * 60_000);
    e2e.comfy!.resume();
    await scheduler.waitFor(id, ['succeeded'], { delivered: true, timeoutMs: 20_000 });
    await expect.poll(() => resultLanded(e2e.sim.message(message.id)), { timeout: 5_000 }).toBe(true);
    const final = e2e.sim.message(message.id)!;
    expect(final.attachments).toHaveLength(1);
    // No second message in the channel, and the result was written once, through the channel route with the bot token.
    expect(e2e.sim.messages(e2e.channel.id)).toHaveLength(before + 1);
    const writes = resultWrites(e2e.channel.id, message.id);
    expect(writes.map((w) => `${w.method} ${w.route}`)).toEqual(['PATCH /channels/{channel_id}/messages/{message_id}']);
    expect(writes[0]!.authorization).toBe(`Bot ${e2e.sim.token}`);
    // The token really was dead by then (Discord refused it: 401 / 50027); nothing else was refused.
    expect(e2e.sim.violations.some((v) => v.code === 50027)).toBe(true);
    expect(e2e.sim.violations.filter((v) => v.code !== 50027)).toEqual([]);
  }, 60_000);

  test("the upload cap Discord states on the member's interaction is kept with the request and the result fits under it", async () => {
    const cap = 8_000;
    e2e.guild.uploadLimitBytes = cap;
    try {
      const player = e2e.playUser();
      const queued = await player.imagine({ prompt: 'a lighthouse at dusk', steps: 4 });
      const id = generationIdOf(queued.message()!);
      const row = await scheduler.waitFor(id, ['succeeded'], { delivered: true, timeoutMs: 20_000 });
      expect(row.attachmentSizeLimit).toBe(cap);
      expect(row.outputs[0]!.bytes).toBeGreaterThan(cap);
      await expect.poll(() => resultLanded(queued.message()), { timeout: 5_000 }).toBe(true);
      const final = queued.message()!;
      expect(final.attachments[0]!.filename).toMatch(/\.webp$/);
      expect(final.attachments[0]!.size).toBeLessThanOrEqual(cap);
      const link = /^\[Full-size PNG\]\(<([^>]+)>\)$/.exec(final.content)![1]!;
      const full = await fetch(link);
      expect(full.status).toBe(200);
      expect(Number(full.headers.get('content-length'))).toBe(row.outputs[0]!.bytes);
      expect(e2e.sim.violations.filter((v) => v.code !== 50027)).toEqual([]);
    } finally {
      delete e2e.guild.uploadLimitBytes;
    }
  }, 60_000);

  test('the longest prompt and negative a member can send, full of emoji, zero-width and right-to-left text: result, /generation and /generations, never a 400', async () => {
    const player = e2e.playUser();
    const violations = e2e.sim.violations.length;
    const prompt = hostile(2000);
    const queued = await player.imagine({ prompt, negative: hostile(2000), lora: 'watercolor.safetensors', steps: 4 });
    expect(queued.response.type).toBe(4);
    const id = generationIdOf(queued.message()!);
    const row = await scheduler.waitFor(id, ['succeeded'], { delivered: true, timeoutMs: 20_000 });
    expect(row.prompt).toBe(prompt.trim());
    await expect.poll(() => resultLanded(queued.message()), { timeout: 5_000 }).toBe(true);
    const result = queued.message()!;
    expect(result.attachments).toHaveLength(1);
    const embed = result.embeds[0] as { title: string; description: string; fields: { name: string; value: string }[] };
    expect(embed.title.endsWith('…')).toBe(true);
    expect(embed.fields.find((f) => f.name === 'LoRAs')!.value).toBe('watercolor.safetensors (0.8)');

    const recalled = await player.command('generation', { id });
    await expect.poll(() => recalled.message()?.attachments.length ?? 0, { timeout: 10_000 }).toBe(1);
    const history = await player.command('generations');
    expect(JSON.stringify(history.response.data ?? history.message()?.embeds)).toContain(id);
    expect(e2e.sim.violations.slice(violations)).toEqual([]);
  }, 60_000);
});
