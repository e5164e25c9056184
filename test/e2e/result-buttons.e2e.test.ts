import { mkdtemp } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { MikroORM } from '@mikro-orm/postgresql';
import { MessageFlags, PermissionFlagsBits } from 'discord-api-types/v10';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startAdminApi, type RunningAdminApi } from '#admin/start.ts';
import { startBot, type RunningBot } from '#bot/start-bot.ts';
import { createOrm } from '#shared/db/orm.ts';
import { asDb } from '#shared/db/pool.ts';
import { ImageLinks } from '#shared/images/image-links.ts';
import { noLimits } from '#shared/limits/policy.ts';
import { createLogger } from '#shared/logging.ts';
import { LocalStorage } from '#shared/storage/local-storage.ts';
import type { RecordedResponse, SimMessage } from '#sim/discord/index.ts';
import { startE2E, type E2E, type Player } from '../support/e2e.ts';
import { startSchedulerHarness, type SchedulerHarness } from '../support/scheduler-harness.ts';

// Bot, scheduler and admin API against sim/discord, sim/comfyui and a real database: every result
// button, pressed by the owner, a stranger and a moderator, and again after bot and scheduler restart.

let e2e: E2E;
let scheduler: SchedulerHarness;
let orm: MikroORM;
let admin: RunningAdminApi;
let storageDir: string;
let restartedBot: RunningBot | undefined;
const logger = createLogger({ level: 'silent' });

beforeAll(async () => {
  storageDir = await mkdtemp(path.join(tmpdir(), 'gn-e2e-buttons-'));
  e2e = await startE2E({
    comfy: true,
    // Limits on (policies apply), defaults uncapped; a test adds a user policy.
    limits: { defaults: noLimits, maxWaiting: 0 },
    images: async (tdb) => {
      orm = await createOrm(tdb.url);
      const db = asDb(tdb.pool);
      admin = await startAdminApi({
        db, orm, adminToken: 'e2e-admin-token-0123456789abcdef', logger, host: '127.0.0.1', port: 0,
        images: { storage: new LocalStorage(storageDir), links: new ImageLinks({ db, ttlSeconds: 600, baseUrl: 'http://unused' }) },
      });
      return { storageDir, baseUrl: admin.url };
    },
  });
  e2e.comfy!.setSecondsPerStep(0.01);
  scheduler = await startSchedulerHarness({
    tdb: e2e.db, discord: e2e.sim, comfyUrls: [e2e.comfy!.url], env: { STORAGE_DIR: storageDir, PUBLIC_BASE_URL: admin.url },
  });
});
afterAll(async () => {
  await restartedBot?.stop();
  await scheduler?.stop();
  await admin?.close();
  await orm?.close();
  await e2e?.stop();
});

type Button = { custom_id?: string; disabled?: boolean; emoji?: { name?: string } };
const buttons = (m: { components?: unknown[] }) =>
  ((m.components ?? []) as { components?: Button[] }[]).flatMap((row) => row.components ?? []);
const button = (m: SimMessage, emoji: string) => {
  const found = buttons(m).find((b) => b.emoji?.name === emoji);
  if (!found?.custom_id) throw new Error(`no ${emoji} button on the message`);
  return found.custom_id;
};
const generationIdOf = (m: SimMessage) => /Generation ([0-9a-f-]{36})/.exec(JSON.stringify(m.embeds))![1]!;
const isEphemeral = (r: RecordedResponse) => (((r.data as { flags?: number }).flags ?? 0) & MessageFlags.Ephemeral) !== 0;
const refusalText = (r: RecordedResponse) => (r.data as { embeds?: { description?: string }[] }).embeds?.[0]?.description ?? '';
/** Permissions of an ordinary member (view, send, read history) and of a moderator (plus Manage Messages). */
const member = String(PermissionFlagsBits.ViewChannel | PermissionFlagsBits.SendMessages | PermissionFlagsBits.ReadMessageHistory);
const moderator = String(BigInt(member) | PermissionFlagsBits.ManageMessages);

/** /imagine, waits until the result (with its buttons) is delivered, returns the live message. */
async function delivered(player: Player, options: Record<string, string | number>): Promise<{ message: () => SimMessage; generationId: string }> {
  const played = await player.imagine(options, { permissions: member });
  await expect.poll(() => buttons(played.message() ?? {}).some((b) => b.emoji?.name === '🗑'), { timeout: 20_000 }).toBe(true);
  return { message: () => played.message()!, generationId: generationIdOf(played.message()!) };
}

/** The new "Queued" reply a 🔁 / 🎲 press made, followed to its delivered result. */
async function regeneratedFrom(parentId: string, response: RecordedResponse) {
  expect(response.type).toBe(4);
  expect(isEphemeral(response)).toBe(false);
  expect((response.data as { embeds: { title: string }[] }).embeds[0]!.title).toMatch(/^Queued/);
  const { rows } = await e2e.db.pool.query<{ id: string }>('select id from generation where parent_id = $1 order by created_at desc limit 1', [parentId]);
  expect(rows[0]).toBeDefined();
  return scheduler.waitFor(rows[0]!.id, ['succeeded'], { delivered: true, timeoutMs: 20_000 });
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('result buttons', () => {
  test('a batch shows one image and "1 / 4"; ▶ ◀ show the right image; strangers are refused, moderators may page', async () => {
    const owner = e2e.playUser();
    const stranger = e2e.playUser();
    const mod = e2e.playUser();
    const { message, generationId } = await delivered(owner, { prompt: 'four foxes', batch: 4, steps: 4, size: '512x512' });
    const row = await scheduler.repo.get(generationId);
    expect(message().attachments).toHaveLength(1);
    expect(message().content).toMatch(/^\*\*1 \/ 4\*\*/);
    expect(buttons(message()).map((b) => [b.emoji?.name, Boolean(b.disabled)])).toEqual([['◀', true], ['▶', false], ['🔁', false], ['🎲', false], ['⬆', false], ['🔀', false], ['⭐', false], ['🗑', false]]);

    const next = await owner.click(message(), button(message(), '▶'), { permissions: member });
    expect(next.response.type).toBe(6);
    await expect.poll(() => message().content, { timeout: 5_000 }).toMatch(/^\*\*2 \/ 4\*\*/);
    const shown = message();
    expect(shown.attachments).toHaveLength(1);
    expect(shown.attachments[0]!.filename).toBe(`${generationId.slice(0, 8)}_1.png`);
    const attached = Buffer.from(await (await fetch(shown.attachments[0]!.url)).arrayBuffer());
    expect(sha256(attached)).toBe(row.outputs[1]!.sha256);
    expect((shown.embeds[0] as { url: string }).url).toContain(`/images/${generationId}/1?`);
    expect(buttons(shown).every((b) => !b.disabled)).toBe(true);

    for (const emoji of ['◀', '▶', '🔁', '🎲', '⬆', '🔀', '⭐', '🗑']) {
      const refused = await stranger.click(message(), button(message(), emoji), { permissions: member });
      expect(refused.response.type).toBe(4);
      expect(isEphemeral(refused.response)).toBe(true);
      expect(refusalText(refused.response)).toMatch(/^Only the person who asked for this image/);
    }
    expect(message().content).toMatch(/^\*\*2 \/ 4\*\*/);
    expect((await scheduler.repo.get(generationId)).deletedAt).toBeNull();

    await mod.click(message(), button(message(), '◀'), { permissions: moderator });
    await expect.poll(() => message().content, { timeout: 5_000 }).toMatch(/^\*\*1 \/ 4\*\*/);
    expect(message().attachments[0]!.filename).toBe(`${generationId.slice(0, 8)}_0.png`);
    // A moderator may not regenerate for someone else (it would be counted against the owner).
    const modRegen = await mod.click(message(), button(message(), '🔁'), { permissions: moderator });
    expect(isEphemeral(modRegen.response)).toBe(true);
    expect(e2e.sim.violations).toEqual([]);
  });

  test('🔁 repeats the request with the same seed, 🎲 with a new one; both record their parent', async () => {
    const owner = e2e.playUser();
    const { message, generationId } = await delivered(owner, { prompt: 'a red kite', steps: 3, size: '512x512', seed: '12345' });
    const parent = await scheduler.repo.get(generationId);

    const same = await regeneratedFrom(generationId, (await owner.click(message(), button(message(), '🔁'), { permissions: member })).response);
    expect(same).toMatchObject({ parentId: generationId, seed: '12345', prompt: 'a red kite', steps: 3, width: 512, height: 512, checkpoint: parent.checkpoint, userId: owner.user.id });

    const fresh = await regeneratedFrom(generationId, (await owner.click(message(), button(message(), '🎲'), { permissions: member })).response);
    expect(fresh).toMatchObject({ parentId: generationId, prompt: 'a red kite', steps: 3, width: 512, height: 512 });
    expect(fresh.seed).not.toBe('12345');
    expect(e2e.sim.violations).toEqual([]);
  });

  test('🔁 is refused ephemerally when the owner is over their limit, and nothing is queued', async () => {
    const owner = e2e.playUser();
    const { message, generationId } = await delivered(owner, { prompt: 'just one', steps: 2, size: '512x512' });
    await e2e.db.pool.query(`insert into limit_policy (scope, subject_id, per_day) values ('user', $1, 1)`, [owner.user.id]);
    const refused = await owner.click(message(), button(message(), '🔁'), { permissions: member });
    expect(isEphemeral(refused.response)).toBe(true);
    expect(refusalText(refused.response)).toMatch(/Limit reached/);
    const { rows } = await e2e.db.pool.query('select id from generation where parent_id = $1', [generationId]);
    expect(rows).toHaveLength(0);
  });

  test('🗑 by a moderator removes the message, marks the generation deleted, and its image links answer 410', async () => {
    const owner = e2e.playUser();
    const mod = e2e.playUser();
    const { message, generationId } = await delivered(owner, { prompt: 'to be removed', steps: 2, size: '512x512', batch: 2 });
    const links = [...message().content.matchAll(/<(http[^>]+)>/g)].map((m) => m[1]!);
    expect(links).toHaveLength(2);
    const pressed = await mod.click(message(), button(message(), '🗑'), { permissions: moderator });
    expect(pressed.response.type).toBe(6);
    await expect.poll(() => e2e.sim.message(message().id)?.deleted ?? false, { timeout: 5_000 }).toBe(true);
    expect((await scheduler.repo.get(generationId)).deletedAt).toBeInstanceOf(Date);
    for (const link of links) {
      const answer = await fetch(link);
      expect(answer.status).toBe(410);
      expect(await answer.json()).toMatchObject({ error: { code: 'gone' } });
    }
    // Its buttons are dead now: paging a deleted generation is refused (as a stale copy might try).
    const late = await owner.click(message(), button(message(), '▶'), { permissions: member });
    expect(isEphemeral(late.response)).toBe(true);
    expect(refusalText(late.response)).toMatch(/deleted/);
  });

  test('🗑 by the owner works too; Cancel by a moderator stops someone else\'s request, a stranger\'s is refused', async () => {
    const owner = e2e.playUser();
    const stranger = e2e.playUser();
    const mod = e2e.playUser();
    const { message, generationId } = await delivered(owner, { prompt: 'mine to remove', steps: 2, size: '512x512' });
    await owner.click(message(), button(message(), '🗑'), { permissions: member });
    await expect.poll(() => e2e.sim.message(message().id)?.deleted ?? false, { timeout: 5_000 }).toBe(true);
    expect((await scheduler.repo.get(generationId)).deletedAt).toBeInstanceOf(Date);

    e2e.comfy!.setSecondsPerStep(0.2);
    try {
      const queued = await owner.imagine({ prompt: 'a long one', steps: 100, size: '512x512' }, { permissions: member });
      const cancelId = buttons(queued.message()!)[0]!.custom_id!;
      const refused = await stranger.click(queued.message()!, cancelId, { permissions: member });
      expect(isEphemeral(refused.response)).toBe(true);
      await mod.click(queued.message()!, cancelId, { permissions: moderator });
      await scheduler.waitFor(cancelId.split(':')[2]!, ['cancelled'], { delivered: true, timeoutMs: 15_000 });
    } finally {
      e2e.comfy!.setSecondsPerStep(0.01);
    }
  });

  test('buttons still work after the bot and the scheduler restart (state read from Postgres)', async () => {
    const owner = e2e.playUser();
    const { message, generationId } = await delivered(owner, { prompt: 'survives restarts', steps: 2, size: '512x512', batch: 2 });
    await e2e.bot.stop();
    await scheduler.stop();
    scheduler = await startSchedulerHarness({
      tdb: e2e.db, discord: e2e.sim, comfyUrls: [e2e.comfy!.url], env: { STORAGE_DIR: storageDir, PUBLIC_BASE_URL: admin.url },
    });
    const db = asDb(e2e.db.pool);
    restartedBot = await startBot({
      token: e2e.sim.token, applicationId: e2e.sim.applicationId, apiBase: e2e.sim.apiBase, pool: e2e.db.pool, boss: e2e.boss, logger,
      waitGuildTimeoutMs: 1_000, limits: { defaults: noLimits, maxWaiting: 0 },
      images: { storage: new LocalStorage(storageDir), links: new ImageLinks({ db, ttlSeconds: 600, baseUrl: admin.url }) },
    });
    await e2e.sim.waitForBot();

    await owner.click(message(), button(message(), '▶'), { permissions: member });
    await expect.poll(() => message().content, { timeout: 5_000 }).toMatch(/^\*\*2 \/ 2\*\*/);
    const again = await regeneratedFrom(generationId, (await owner.click(message(), button(message(), '🔁'), { permissions: member })).response);
    expect(again.parentId).toBe(generationId);
    expect(e2e.sim.violations).toEqual([]);
  });
});

type Entry = { title?: string; description?: string; footer?: { text: string }; thumbnail?: { url: string } };
const entriesOf = (m: { embeds?: unknown[] }) => (m.embeds ?? []) as Entry[];
const idsOf = (m: { embeds?: unknown[] }) => entriesOf(m).map((e) => /Generation ([0-9a-f-]{36})/.exec(e.footer!.text)![1]!);

/** `count` succeeded generations of `userId`, oldest first, made straight through the scheduler. */
async function history(userId: string, count: number, prompt: (i: number) => string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const { generation } = await scheduler.enqueue({ userId, guildId: e2e.guild.id, channelId: e2e.channel.id, prompt: prompt(i), checkpoint: 'sdxl_base.safetensors', width: 512, height: 512, steps: 2 });
    ids.push(generation.id);
  }
  for (const id of ids) await scheduler.waitFor(id, ['succeeded'], { delivered: true, timeoutMs: 30_000 });
  // Thumbnails are made by their own job after the result is delivered.
  await expect.poll(async () => {
    const rows = await Promise.all(ids.map((id) => scheduler.repo.get(id)));
    return rows.every((g) => g.outputs[0]?.thumbnails?.length);
  }, { timeout: 20_000 }).toBe(true);
  return ids;
}

describe('/generations and /generation', () => {
  test('/generations: mine only, newest first, 5 per page with thumbnails and ids; ◀ ▶ keyset pages stay put when new ones arrive; prompts inert', async () => {
    const owner = e2e.playUser();
    const other = e2e.playUser();
    const ids = await history(owner.user.id, 7, (i) => `fox ${i} **bold** @everyone <@${other.user.id}>`);
    await history(other.user.id, 1, () => 'not yours');

    const first = await owner.command('generations');
    expect(isEphemeral(first.response)).toBe(true);
    const callback = e2e.sim.requests.find((r) => r.path.includes(`/interactions/${first.ix.id}/`));
    expect((callback!.body as { data: { allowed_mentions?: unknown } }).data.allowed_mentions).toEqual({ parse: [] });
    const page1 = first.response.data as { embeds: Entry[]; components: unknown[] };
    expect(idsOf(page1)).toEqual(ids.slice(2).reverse());
    const entry = entriesOf(page1)[0]!;
    expect(entry.description).toContain('\\*\\*bold\\*\\*');
    expect(entry.description).toContain('@\u200beveryone');
    expect(entry.description).toContain(`<\u200b@${other.user.id}>`);
    const thumb = await fetch(entry.thumbnail!.url);
    expect(thumb.status).toBe(200);
    expect(thumb.headers.get('content-type')).toBe('image/webp');
    expect(buttons(page1).map((b) => [b.emoji?.name, Boolean(b.disabled)])).toEqual([['◀', true], ['▶', false]]);

    // A new generation arrives between the pages: page 2 still starts after page 1's last entry.
    const [newest] = await history(owner.user.id, 1, () => 'arrived later');
    const message = first.message()!;
    await owner.click(message, buttons(page1)[1]!.custom_id!);
    await expect.poll(() => idsOf(first.message()!), { timeout: 5_000 }).toEqual(ids.slice(0, 2).reverse());
    expect(buttons(first.message()!).map((b) => [b.emoji?.name, Boolean(b.disabled)])).toEqual([['◀', false], ['▶', true]]);
    await owner.click(first.message()!, button(first.message()!, '◀'));
    await expect.poll(() => idsOf(first.message()!), { timeout: 5_000 }).toEqual(ids.slice(2).reverse());
    expect(idsOf(first.message()!)).not.toContain(newest);

    const none = await owner.command('generations', { status: 'failed' });
    expect((none.response.data as { content: string }).content).toMatch(/none match/);
    const unknownModel = await owner.command('generations', { model: 'no_such_model.safetensors' });
    expect(isEphemeral(unknownModel.response)).toBe(true);
    expect(refusalText(unknownModel.response)).toMatch(/no checkpoint called/);
    expect(e2e.sim.violations).toEqual([]);
  });

  test('/generation id re-posts a result with its buttons (owner or moderator); others, deleted and malformed ids are refused', async () => {
    const owner = e2e.playUser();
    const stranger = e2e.playUser();
    const mod = e2e.playUser();
    const [id] = await history(owner.user.id, 1, () => 'recall me _please_');

    const recalled = await owner.command('generation', { id: id! });
    expect(recalled.response.type).toBe(5);
    await expect.poll(() => recalled.message()?.attachments.length ?? 0, { timeout: 5_000 }).toBe(1);
    const message = recalled.message()!;
    expect((message.embeds[0] as { title: string }).title).toContain('recall me \\_please\\_');
    expect(buttons(message).map((b) => b.emoji?.name)).toEqual(['🔁', '🎲', '⬆', '🔀', '⭐', '🗑']);
    const again = await regeneratedFrom(id!, (await owner.click(message, button(message, '🔁'), { permissions: member })).response);
    expect(again.prompt).toBe('recall me _please_');

    const refused = await stranger.command('generation', { id: id! }, { permissions: member });
    expect(isEphemeral(refused.response)).toBe(true);
    expect(refusalText(refused.response)).toMatch(/^Only the person who asked for this image or a moderator/);
    const byMod = await mod.command('generation', { id: id! }, { permissions: moderator });
    await expect.poll(() => byMod.message()?.attachments.length ?? 0, { timeout: 5_000 }).toBe(1);

    await owner.click(message, button(message, '🗑'), { permissions: member });
    await expect.poll(async () => (await scheduler.repo.get(id!)).deletedAt, { timeout: 5_000 }).toBeInstanceOf(Date);
    const gone = await owner.command('generation', { id: id! });
    expect(refusalText(gone.response)).toMatch(/was deleted/);
    const malformed = await owner.command('generation', { id: 'not-an-id' });
    expect(refusalText(malformed.response)).toMatch(/`id` must be a generation id/);
    const unknown = await owner.command('generation', { id: '00000000-0000-4000-8000-000000000000' });
    expect(refusalText(unknown.response)).toMatch(/no generation with the id/);
    expect(e2e.sim.violations).toEqual([]);
  });
});
