import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { PgBoss } from 'pg-boss';
import { MessageFlags, PermissionFlagsBits } from 'discord-api-types/v10';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startAdminApi, type RunningAdminApi } from '#admin/start.ts';
import { createOrm } from '#shared/db/orm.ts';
import { asDb } from '#shared/db/pool.ts';
import { ImageLinks } from '#shared/images/image-links.ts';
import { createLogger } from '#shared/logging.ts';
import { startBoss } from '#shared/queue/boss.ts';
import { LocalStorage } from '#shared/storage/local-storage.ts';
import type { RecordedResponse, SimMessage } from '#sim/discord/index.ts';
import { generationInput } from '../support/generation-fixture.ts';
import { startE2E, type E2E, type Player } from '../support/e2e.ts';
import { startSchedulerHarness, type SchedulerHarness } from '../support/scheduler-harness.ts';

// ⭐ keep (button and admin API) and erasure (/forget-me through discord.js against sim/discord, and
// DELETE /api/v1/users/:userId over HTTP), with bot, scheduler and admin API on a real database and
// real files; erasure is checked by listing storage afterwards.

const adminToken = 'e2e-admin-token-0123456789abcdef';
let e2e: E2E;
let scheduler: SchedulerHarness;
let orm: MikroORM;
let admin: RunningAdminApi;
let storage: LocalStorage;
let producer: PgBoss;
const logger = createLogger({ level: 'silent' });

beforeAll(async () => {
  const storageDir = await mkdtemp(path.join(tmpdir(), 'gn-e2e-erasure-'));
  storage = new LocalStorage(storageDir);
  e2e = await startE2E({
    comfy: true,
    images: async (tdb) => {
      orm = await createOrm(tdb.url);
      producer = await startBoss(tdb.url, { supervise: false });
      const db = asDb(tdb.pool);
      admin = await startAdminApi({
        db, orm, adminToken, logger, host: '127.0.0.1', port: 0, databaseUrl: tdb.url, queue: { pool: tdb.pool, boss: producer },
        images: { storage, links: new ImageLinks({ db, ttlSeconds: 600, baseUrl: 'http://unused' }) },
      });
      return { storageDir, baseUrl: admin.url };
    },
  });
  e2e.comfy!.setSecondsPerStep(0.01);
  scheduler = await startSchedulerHarness({ tdb: e2e.db, discord: e2e.sim, comfyUrls: [e2e.comfy!.url], env: { STORAGE_DIR: storageDir, PUBLIC_BASE_URL: admin.url } });
});
afterAll(async () => {
  await scheduler?.stop();
  await admin?.close();
  await producer?.stop({ graceful: false });
  await orm?.close();
  await e2e?.stop();
});

type Button = { custom_id?: string; emoji?: { name?: string } };
const buttons = (m: { components?: unknown[] }) => ((m.components ?? []) as { components?: Button[] }[]).flatMap((row) => row.components ?? []);
const button = (m: SimMessage, emoji: string) => buttons(m).find((b) => b.emoji?.name === emoji)!.custom_id!;
const generationIdOf = (m: SimMessage) => /Generation ([0-9a-f-]{36})/.exec(JSON.stringify(m.embeds))![1]!;
const isEphemeral = (r: RecordedResponse) => (((r.data as { flags?: number }).flags ?? 0) & MessageFlags.Ephemeral) !== 0;
const replyText = (r: RecordedResponse) => {
  const data = r.data as { content?: string; embeds?: { description?: string }[] };
  return data.content || data.embeds?.[0]?.description || '';
};
const member = String(PermissionFlagsBits.ViewChannel | PermissionFlagsBits.SendMessages | PermissionFlagsBits.ReadMessageHistory);
const moderator = String(BigInt(member) | PermissionFlagsBits.ManageMessages);

/** /imagine, waits for the delivered result and its thumbnails. */
async function delivered(player: Player): Promise<{ message: () => SimMessage; generationId: string }> {
  const played = await player.imagine({ prompt: 'a keeper', batch: 2, steps: 4, size: '512x512' }, { permissions: member });
  await expect.poll(() => buttons(played.message() ?? {}).some((b) => b.emoji?.name === '⭐'), { timeout: 20_000 }).toBe(true);
  const generationId = generationIdOf(played.message()!);
  await expect.poll(async () => (await scheduler.repo.get(generationId)).outputs.every((o) => (o.thumbnails ?? []).length > 0), { timeout: 20_000 }).toBe(true);
  return { message: () => played.message()!, generationId };
}

const keptFlags = async (id: string) => (await scheduler.repo.get(id)).outputs.map((o) => o.kept === true);
const api = (p: string, init: RequestInit & { token?: string | null } = {}) => {
  const { token = adminToken, ...rest } = init;
  return fetch(`${admin.url}${p}`, { ...rest, headers: token === null ? {} : { authorization: `Bearer ${token}` } });
};
async function keysUnder(prefix: string): Promise<string[]> {
  const keys = [];
  for await (const o of storage.list(prefix)) keys.push(o.key);
  return keys;
}
const rowsOf = async (table: string, userId: string) => Number((await e2e.db.pool.query(`select count(*) as n from ${table} where user_id = $1`, [userId])).rows[0].n);
const auditFor = async (userId: string) =>
  (await e2e.db.pool.query<{ actor: string; after: Record<string, number> }>(`select actor, after from audit_log where action = 'user.erase' and entity_id = $1`, [userId])).rows;

describe('⭐ keep', () => {
  test('the owner keeps and un-keeps, a moderator may too, a stranger is refused; the admin API does the same, audited', async () => {
    const owner = e2e.playUser();
    const stranger = e2e.playUser();
    const mod = e2e.playUser();
    const { message, generationId } = await delivered(owner);

    const refused = await stranger.click(message(), button(message(), '⭐'), { permissions: member });
    expect(isEphemeral(refused.response)).toBe(true);
    expect(replyText(refused.response)).toMatch(/^Only the person who asked for this image or a moderator can keep it/);
    expect(await keptFlags(generationId)).toEqual([false, false]);

    const kept = await owner.click(message(), button(message(), '⭐'), { permissions: member });
    expect(isEphemeral(kept.response)).toBe(true);
    expect(replyText(kept.response)).toMatch(/^⭐ Kept: these 2 images will not be removed/);
    expect(await keptFlags(generationId)).toEqual([true, true]);
    const unkept = await mod.click(message(), button(message(), '⭐'), { permissions: moderator });
    expect(replyText(unkept.response)).toMatch(/^These 2 images are no longer kept/);
    expect(await keptFlags(generationId)).toEqual([false, false]);

    const put = await api(`/api/v1/generations/${generationId}/keep`, { method: 'PUT' });
    expect(put.status).toBe(200);
    expect(((await put.json()) as { outputs: { kept: boolean }[] }).outputs.map((o) => o.kept)).toEqual([true, true]);
    expect(await keptFlags(generationId)).toEqual([true, true]);
    expect((await api(`/api/v1/generations/${generationId}/keep`, { method: 'DELETE' })).status).toBe(200);
    expect(await keptFlags(generationId)).toEqual([false, false]);
    const { rows } = await e2e.db.pool.query(`select actor, action, before, after from audit_log where entity_id = $1 and action like 'generation.%keep' order by id`, [generationId]);
    expect(rows).toEqual([
      { actor: 'admin-token', action: 'generation.keep', before: { kept: false }, after: { kept: true } },
      { actor: 'admin-token', action: 'generation.unkeep', before: { kept: true }, after: { kept: false } },
    ]);
    expect((await api('/api/v1/generations/00000000-0000-4000-8000-000000000000/keep', { method: 'PUT' })).status).toBe(404);
    expect((await api('/api/v1/generations/not-a-uuid/keep', { method: 'PUT' })).status).toBe(400);
    expect((await api(`/api/v1/generations/${generationId}/keep`, { method: 'PUT', token: null })).status).toBe(401);
    expect(e2e.sim.violations).toEqual([]);
  });
});

describe('erasure', () => {
  test('/forget-me asks, then erases the member: queued work cancelled, files, rows and usage gone, audited; others untouched', async () => {
    const owner = e2e.playUser();
    const other = e2e.playUser();
    const { generationId } = await delivered(owner);
    const kept = await delivered(other);
    // A request of theirs still waiting in line (queued, no job yet).
    const waiting = await scheduler.repo.create(generationInput({ userId: owner.user.id, guildId: e2e.guild.id, channelId: e2e.channel.id }));
    expect(await keysUnder(`${owner.user.id}/`)).not.toEqual([]);
    expect(await rowsOf('user_usage', owner.user.id)).toBe(1);

    const asked = await owner.command('forget-me', {});
    expect(isEphemeral(asked.response)).toBe(true);
    expect(replyText(asked.response)).toMatch(/^\*\*Erase everything of yours\?\*\*/);
    const confirm = asked.message()!;
    const refused = await other.click(confirm, button(confirm, '🗑'));
    expect(replyText(refused.response)).toMatch(/^Only the person who asked to be forgotten/);
    expect(await rowsOf('generation', owner.user.id)).toBe(2);

    const pressed = await owner.click(confirm, button(confirm, '🗑'));
    expect(pressed.response.type).toBe(6);
    await expect.poll(() => asked.message()?.content ?? '', { timeout: 10_000 }).toMatch(/^Done: 2 request\(s\) and \d+ stored file\(s\) erased/);
    expect(asked.message()!.components ?? []).toEqual([]);

    expect(await keysUnder(`${owner.user.id}/`)).toEqual([]);
    expect(await rowsOf('generation', owner.user.id)).toBe(0);
    expect(await rowsOf('user_usage', owner.user.id)).toBe(0);
    expect(await scheduler.repo.find(waiting.id)).toBeUndefined();
    const audit = await auditFor(owner.user.id);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor: `discord:${owner.user.id}`, after: { generations: 2, stillStopping: 0 } });
    expect(audit[0]!.after.files).toBeGreaterThanOrEqual(2 * 5);
    // The image links of the erased generation stop working at once.
    expect((await api(`/images/${generationId}/0`)).status).toBe(404);
    // Someone else's work is untouched.
    expect(await keysUnder(`${other.user.id}/`)).not.toEqual([]);
    expect((await api(`/images/${kept.generationId}/0`)).status).toBe(200);
    expect(e2e.sim.violations).toEqual([]);
  });

  test('DELETE /api/v1/users/:userId erases a member over HTTP, audited with the operator; bad ids are 400, no token 401', async () => {
    const owner = e2e.playUser();
    const { generationId } = await delivered(owner);
    expect((await api(`/api/v1/users/${owner.user.id}`, { method: 'DELETE', token: null })).status).toBe(401);
    expect((await api('/api/v1/users/not-a-user', { method: 'DELETE' })).status).toBe(400);
    expect((await api('/api/v1/users/12', { method: 'DELETE' })).status).toBe(400);
    expect(await keysUnder(`${owner.user.id}/`)).not.toEqual([]);

    const res = await api(`/api/v1/users/${owner.user.id}`, { method: 'DELETE' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { userId: string; generations: number; files: number; stillStopping: number };
    expect(body).toMatchObject({ userId: owner.user.id, generations: 1, stillStopping: 0 });
    expect(body.files).toBeGreaterThanOrEqual(2 * 5);
    expect(await keysUnder(`${owner.user.id}/`)).toEqual([]);
    expect(await rowsOf('generation', owner.user.id)).toBe(0);
    expect(await rowsOf('user_usage', owner.user.id)).toBe(0);
    expect(await auditFor(owner.user.id)).toEqual([{ actor: 'admin-token', after: { generations: 1, files: body.files, stillStopping: 0 } }]);
    expect((await api(`/images/${generationId}/0`)).status).toBe(404);
  });
});
