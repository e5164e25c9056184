import { randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import sharp from 'sharp';
import type { PgBoss } from 'pg-boss';
import type { ChatInputCommandInteraction } from 'discord.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createOrm } from '#shared/db/orm.ts';
import { asDb } from '#shared/db/pool.ts';
import { imageLinksFromConfig } from '#shared/images/image-links.ts';
import { GenerationRepository, type NewGeneration } from '#shared/db/repositories/generation-repository.ts';
import { startBoss } from '#shared/queue/boss.ts';
import { sendDelivery } from '#shared/queue/send-delivery.ts';
import { sendLiveEdits } from '#shared/queue/send-live.ts';
import { generationPrefix, originalKey } from '#shared/storage/keys.ts';
import { deliverJob } from '#scheduler/jobs/deliver.ts';
import { thumbnailJob } from '#scheduler/jobs/thumbnail.ts';
import { IdleWorkers } from '#scheduler/generation/idle-workers.ts';
import type { GenerateContext } from '#scheduler/context.ts';
import { registerJob } from '#scheduler/register-job.ts';
import { serveApp, type ServedApp } from '../admin-api/harness.ts';
import { noisyPng } from '../admin-api/image-fixture.ts';
import { startHarness, type Harness } from '../sim-discord/helpers.ts';
import { createSchedulerContext, jobHelpers } from '../support/scheduler-context.ts';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.ts';

let tdb: TestDatabase;
let boss: PgBoss;
let h: Harness;
let ctx: GenerateContext;
let repo: GenerationRepository;
let orm: MikroORM;
let admin: ServedApp;

beforeAll(async () => {
  tdb = await createTestDatabase();
  boss = await startBoss(tdb.url, { supervise: false });
  h = await startHarness();
  await h.client.application!.commands.set([{ name: 'imagine', description: 'make an image', options: [{ name: 'prompt', description: 'what', type: 3, required: true }] }]);
  ctx = await createSchedulerContext({ tdb, boss, discord: h.sim });
  repo = new GenerationRepository(asDb(tdb.pool));
  // The admin API on the scheduler's storage; links are made for where it listens (PUBLIC_BASE_URL).
  orm = await createOrm(tdb.url);
  admin = await serveApp({ tdb, orm, images: { storage: ctx.storage, links: imageLinksFromConfig(ctx.config, asDb(tdb.pool)) } });
  ctx = { ...ctx, imageLinks: imageLinksFromConfig({ ...ctx.config, PUBLIC_BASE_URL: admin.url }, asDb(tdb.pool)) };
});
afterAll(async () => {
  await admin.close();
  await orm.close();
  await h.close();
  await boss.stop({ graceful: false });
  await tdb.drop();
});

/** A deferred /imagine, as the bot leaves it: the scheduler later edits @original. */
async function deferredInteraction(guild = h.sim.defaultGuild!) {
  const next = h.nextInteraction();
  const sent = h.sim.sendCommand({ user: h.sim.defaultUser!, guild, name: 'imagine', options: [{ name: 'prompt', value: 'a fox' }] });
  await ((await next) as ChatInputCommandInteraction).deferReply();
  return sent;
}

async function succeededGeneration(token: string | null, expiresAt: Date | null, outputs = 1, image?: Buffer, extra: Partial<NewGeneration> = {}) {
  const g: NewGeneration = {
    id: randomUUID(), userId: h.sim.defaultUser!.id, guildId: h.sim.defaultGuild!.id, channelId: h.sim.defaultGuild!.channels[0]!.id,
    applicationId: h.sim.applicationId, interactionId: null, interactionToken: token, interactionTokenExpiresAt: expiresAt,
    prompt: 'a fox in the snow', negativePrompt: '', checkpoint: 'base.safetensors', loras: [{ name: 'detail.safetensors', strengthModel: 0.7, strengthClip: 0.7 }],
    vae: null, width: 64, height: 64, batchSize: outputs, seed: '18446744073709551615', steps: 4, cfg: 7, sampler: 'euler', scheduler: 'normal',
    denoise: 1, workflowTemplate: 'txt2img', parentId: null, ...extra,
  };
  const row = await repo.create(g);
  const prefix = generationPrefix(row.userId, row.createdAt, row.id);
  const stored = [];
  for (let i = 0; i < outputs; i++) {
    const png = image ?? (await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 10 * i, g: 100, b: 200 } } }).png().toBuffer());
    const put = await ctx.storage.put(originalKey(prefix, i), png);
    stored.push({ index: i, status: 'stored' as const, path: put.key, bytes: put.bytes, sha256: put.sha256, width: 64, height: 64 });
  }
  await repo.transition(row.id, 'running');
  return repo.transition(row.id, 'succeeded', { outputs: stored });
}

describe('deliver', () => {
  test('edits the original reply with the result embed, the first image of the batch attached and the result buttons, exactly once', async () => {
    const sent = await deferredInteraction();
    const g = await succeededGeneration(sent.token, new Date(Date.now() + 14 * 60_000), 2);
    await deliverJob.handle(ctx, { generationId: g.id, kind: 'result' }, jobHelpers());
    const original = sent.original()!;
    expect(original.attachments).toHaveLength(1);
    expect(original.attachments[0]!.filename).toBe(`${g.id.slice(0, 8)}_0.png`);
    expect(original.content).toMatch(/^\*\*1 \/ 2\*\* · Full size: /);
    const customIds = (original.components as { components: { custom_id: string }[] }[]).flatMap((r) => r.components.map((c) => c.custom_id));
    expect(customIds).toEqual([`page:v1:${g.id}.0`, `page:v1:${g.id}.1`, `again:v1:${g.id}`, `reroll:v1:${g.id}`, `upscale:v1:${g.id}.0`, `vary:v1:${g.id}.0`, `keep:v1:${g.id}`, `delete:v1:${g.id}`]);
    expect(original.embeds[0]).toMatchObject({ title: expect.stringContaining('a fox in the snow') });
    expect(JSON.stringify(original.embeds[0])).toContain('18446744073709551615');
    expect(h.sim.violations).toEqual([]);
    expect((await repo.get(g.id)).deliveredAt).toBeInstanceOf(Date);

    const before = h.sim.requests.length;
    await deliverJob.handle(ctx, { generationId: g.id, kind: 'result' }, jobHelpers());
    expect(h.sim.requests.length).toBe(before);
  });

  test('the result links every image of the batch to its original by a signed URL, and every link opens that image', async () => {
    const sent = await deferredInteraction();
    const g = await succeededGeneration(sent.token, new Date(Date.now() + 14 * 60_000), 2);
    await deliverJob.handle(ctx, { generationId: g.id, kind: 'result' }, jobHelpers());
    const original = sent.original()!;
    const links = [...original.content.matchAll(/\]\(<([^>]+)>\)/g)].map((m) => m[1]!);
    expect(links).toHaveLength(2);
    expect(original.embeds.map((e) => e.url)).toEqual([links[0]]);
    for (const [index, link] of links.entries()) {
      expect(link).toMatch(new RegExp(`^${admin.url}/images/${g.id}/${index}\\?expires=\\d+&sig=[\\w-]{43}$`));
      const res = await fetch(link);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/png');
      expect(Buffer.from(await res.arrayBuffer()).equals(await ctx.storage.get(g.outputs[index]!.path!))).toBe(true);
    }
    expect(h.sim.violations).toEqual([]);
  });

  test('a PNG over the upload cap is sent as a WebP preview with a link that opens the full PNG', async () => {
    const huge = await noisyPng(2048, 7);
    expect(huge.length).toBeGreaterThan(10 * 1024 * 1024);
    const sent = await deferredInteraction();
    const g = await succeededGeneration(sent.token, new Date(Date.now() + 14 * 60_000), 1, huge);
    await deliverJob.handle(ctx, { generationId: g.id, kind: 'result' }, jobHelpers());
    const original = sent.original()!;
    expect(original.attachments[0]!.filename).toMatch(/\.webp$/);
    const link = /^\[Full-size PNG\]\(<([^>]+)>\)$/.exec(original.content)?.[1];
    expect(link).toBe(original.embeds[0]!.url);
    const res = await fetch(link!);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await res.arrayBuffer()).equals(huge)).toBe(true);
  }, 60_000);

  test('the embed lists prompt, negative, model, LoRAs with strengths, seed, size, steps, cfg, sampler and time taken', async () => {
    const sent = await deferredInteraction();
    const g = await succeededGeneration(sent.token, new Date(Date.now() + 14 * 60_000), 1, undefined, {
      negativePrompt: 'blurry, extra fingers', steps: 28, cfg: 6.5, sampler: 'dpmpp_2m', scheduler: 'karras',
      loras: [{ name: 'detail.safetensors', strengthModel: 0.7, strengthClip: 0.7 }, { name: 'ink.safetensors', strengthModel: 1.2, strengthClip: 0.4 }],
    });
    await deliverJob.handle(ctx, { generationId: g.id, kind: 'result' }, jobHelpers());
    const embed = sent.original()!.embeds[0] as { title: string; fields: { name: string; value: string }[] };
    const field = (name: string) => embed.fields.find((f) => f.name === name)?.value;
    expect(embed.title).toBe('🎨 a fox in the snow');
    expect(field('Negative')).toBe('blurry, extra fingers');
    expect(field('Model')).toBe('base.safetensors');
    expect(field('LoRAs')).toBe('detail.safetensors (0.7), ink.safetensors (1.2 / clip 0.4)');
    expect(field('Seed')).toBe('18446744073709551615');
    expect(field('Size')).toBe('64×64');
    expect(field('Steps')).toBe('28');
    expect(field('CFG')).toBe('6.5');
    expect(field('Sampler')).toBe('dpmpp_2m · karras');
    expect(field('Time')).toMatch(/^\d+\.\d s$/);
    expect(h.sim.violations).toEqual([]);
  });

  test('the upload cap stated on the interaction decides: the PNG when it fits, else a WebP, smaller if need be, else only the link', async () => {
    const png = await noisyPng(512, 3);
    const cases = [
      { cap: png.length + 1, attached: /\.png$/, content: /^$/ },
      { cap: Math.floor(png.length / 2), attached: /\.webp$/, content: /^\[Full-size PNG\]\(<[^>]+>\)$/ },
      { cap: 20_000, attached: /\.webp$/, content: /^\[Full-size PNG\]\(<[^>]+>\)$/ },
      { cap: 200, attached: undefined, content: /^\[Full-size PNG\]\(<[^>]+>\) \(too large to attach here\)$/ },
    ];
    for (const { cap, attached, content } of cases) {
      // A guild whose cap is `cap`: sim/discord states it on the interaction and refuses (413) any larger file.
      const guild = h.sim.addGuild({ name: `cap ${cap}`, uploadLimitBytes: cap });
      await h.client.application!.commands.set([{ name: 'imagine', description: 'make an image', options: [{ name: 'prompt', description: 'what', type: 3, required: true }] }], guild.id);
      const sent = await deferredInteraction(guild);
      const g = await succeededGeneration(sent.token, new Date(Date.now() + 14 * 60_000), 1, png, { channelId: guild.channels[0]!.id, guildId: guild.id, attachmentSizeLimit: cap });
      const violations = h.sim.violations.length;
      await deliverJob.handle(ctx, { generationId: g.id, kind: 'result' }, jobHelpers());
      const original = sent.original()!;
      expect(h.sim.violations.slice(violations)).toEqual([]);
      expect(original.attachments[0]?.filename, `cap ${cap}`).toSatisfy((name: string | undefined) => (attached ? attached.test(name ?? '') : name === undefined));
      if (original.attachments[0]) expect(original.attachments[0].size).toBeLessThanOrEqual(cap);
      expect(original.content).toMatch(content);
      const link = (original.embeds[0] as { url?: string }).url!;
      const res = await fetch(link);
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer()).equals(png)).toBe(true);
    }
  }, 60_000);

  test('a batch of 16 links only whole links within 2000 characters, each of which opens its image', async () => {
    const sent = await deferredInteraction();
    const g = await succeededGeneration(sent.token, new Date(Date.now() + 14 * 60_000), 16);
    await deliverJob.handle(ctx, { generationId: g.id, kind: 'result' }, jobHelpers());
    const original = sent.original()!;
    expect(original.content.length).toBeLessThanOrEqual(2000);
    expect(original.content).toMatch(/^\*\*1 \/ 16\*\* · Full size: .* …$/);
    const links = [...original.content.matchAll(/\]\(<([^>]+)>\)/g)].map((m) => m[1]!);
    expect(links.length).toBeGreaterThan(5);
    for (const link of links) expect((await fetch(link)).status).toBe(200);
    expect(h.sim.violations).toEqual([]);
  });

  test('a 10 000-character prompt with emoji, zero-width and right-to-left text and 20 LoRAs is delivered, cut with "…", never a 400', async () => {
    const codePoints = [...'👨‍👩‍👧‍👦\u200bשלום\u202e مرحبا\u200d🇳🇴 **x** <@1> '.repeat(400)];
    const cut = (from: number, to: number) => codePoints.slice(from, to).join('');
    const text = cut(0, 8_600);
    expect(text.length).toBeGreaterThanOrEqual(10_000);
    const sent = await deferredInteraction();
    const loras = Array.from({ length: 20 }, (_, i) => ({ name: `${cut(i, 150 + i)}.safetensors`, strengthModel: 0.5, strengthClip: 0.5 }));
    const g = await succeededGeneration(sent.token, new Date(Date.now() + 14 * 60_000), 1, undefined, { prompt: text, negativePrompt: text, loras, checkpoint: cut(0, 200) });
    const violations = h.sim.violations.length;
    await deliverJob.handle(ctx, { generationId: g.id, kind: 'result' }, jobHelpers());
    expect(h.sim.violations.slice(violations)).toEqual([]);
    const embed = sent.original()!.embeds[0] as { title: string; fields: { name: string; value: string }[] };
    expect(embed.title.endsWith('…')).toBe(true);
    expect(embed.fields.find((f) => f.name === 'LoRAs')!.value.endsWith('…')).toBe(true);
    expect(sent.original()!.attachments).toHaveLength(1);
  });

  test('after the interaction token expired it posts in the channel instead', async () => {
    const g = await succeededGeneration(null, null);
    const channelId = h.sim.defaultGuild!.channels[0]!.id;
    const count = h.sim.messages(channelId).length;
    await deliverJob.handle(ctx, { generationId: g.id, kind: 'result' }, jobHelpers());
    const messages = h.sim.messages(channelId);
    expect(messages).toHaveLength(count + 1);
    expect(messages.at(-1)!.attachments).toHaveLength(1);
    expect(h.sim.violations).toEqual([]);
  });

  test('a channel post retried after a crash (delivered_at never written) lands once, by its enforced nonce', async () => {
    const g = await succeededGeneration(null, null);
    const channelId = h.sim.defaultGuild!.channels[0]!.id;
    const count = h.sim.messages(channelId).length;
    await deliverJob.handle(ctx, { generationId: g.id, kind: 'result' }, jobHelpers());
    await tdb.pool.query('update generation set delivered_at = null where id = $1', [g.id]);
    await deliverJob.handle(ctx, { generationId: g.id, kind: 'result' }, jobHelpers());
    expect(h.sim.messages(channelId)).toHaveLength(count + 1);
  });

  test('a token Discord already refuses (401) falls back to the channel', async () => {
    const sent = await deferredInteraction();
    const g = await succeededGeneration(sent.token, new Date(Date.now() + 14 * 60_000));
    h.sim.advanceClock(16 * 60_000);
    const channelId = h.sim.defaultGuild!.channels[0]!.id;
    const count = h.sim.messages(channelId).length;
    await deliverJob.handle(ctx, { generationId: g.id, kind: 'result' }, jobHelpers());
    expect(h.sim.messages(channelId).length).toBe(count + 1);
  });

  test("with the reply's message id known, an expired token still edits that message instead of posting", async () => {
    const sent = await deferredInteraction();
    const g = await succeededGeneration(sent.token, new Date(Date.now() - 1000));
    await tdb.pool.query('update generation set message_id = $2 where id = $1', [g.id, sent.original()!.id]);
    const channelId = h.sim.defaultGuild!.channels[0]!.id;
    const count = h.sim.messages(channelId).length;
    const violations = h.sim.violations.length;
    await deliverJob.handle(ctx, { generationId: g.id, kind: 'result' }, jobHelpers());
    expect(h.sim.messages(channelId).length).toBe(count);
    expect(sent.original()!.attachments).toHaveLength(1);
    expect(h.sim.violations.slice(violations)).toEqual([]);
  });

  test('a fetched batch of endings: one read, one insert of their thumbnail jobs and one write for all of them, each posted once; a failed write posts none twice', async () => {
    const channelId = h.sim.defaultGuild!.channels[0]!.id;
    const gs = [await succeededGeneration(null, null), await succeededGeneration(null, null), await succeededGeneration(null, null)];
    const count = h.sim.messages(channelId).length;
    const seen: { text: string; values: unknown[] | undefined }[] = [];
    let failWrites = 1;
    const db: typeof ctx.db = {
      executeSql: (text, values, name) => {
        seen.push({ text, values });
        // The batch's one write fails once: all three run again, and find their posts by nonce.
        if (text.includes('set delivered_at = now()') && failWrites-- > 0) return Promise.reject(new Error('connection lost'));
        return ctx.db.executeSql(text, values, name);
      },
    };
    for (const g of gs) await sendDelivery(boss, g.id, 'result');
    // One worker: the three are fetched as one batch (two could split them).
    await registerJob({ ...ctx, db }, { ...deliverJob, workOptions: (c) => ({ ...deliverJob.workOptions!(c), localConcurrency: 1 }) });
    const delivered = async () => (await tdb.pool.query<{ n: number }>(`select count(*)::int as n from generation where id = any($1) and delivered_at is not null`, [gs.map((g) => g.id)])).rows[0]!.n;
    await expect.poll(delivered, { timeout: 20_000 }).toBe(3);
    await boss.offWork('deliver');
    // The first batch: one read and one (failed) write, each for all three.
    const ids = gs.map((g) => g.id).sort();
    const reads = seen.filter((q) => q.text.includes('"linePlace"'));
    const writes = seen.filter((q) => q.text.includes('set delivered_at = now()'));
    expect((reads[0]!.values![0] as string[]).toSorted()).toEqual(ids);
    expect((writes[0]!.values![0] as string[]).toSorted()).toEqual(ids);
    expect(seen.indexOf(reads[1]!)).toBeGreaterThan(seen.indexOf(writes[0]!));
    expect(h.sim.messages(channelId)).toHaveLength(count + 3);
    // Their thumbnails, enqueued by the first batch in one insert, each with its stored outputs (the
    // retry found them still missing and enqueued them again: made twice, merged the same).
    const thumbs = (await tdb.pool.query<{ data: { generationId: string; prefix: string; outputs: { index: number; path: string }[] }; first: boolean }>(
      `select data, created_on = min(created_on) over () as first from pgboss.job where name = 'thumbnail' and data->>'generationId' = any($1)`, [ids])).rows;
    // One insert: the first jobs share its statement's timestamp.
    expect(thumbs.filter((t) => t.first).map((t) => t.data.generationId).toSorted()).toEqual(ids);
    for (const g of gs) expect(thumbs.find((t) => t.data.generationId === g.id)!.data).toEqual({ generationId: g.id, prefix: generationPrefix(g.userId, g.createdAt, g.id), outputs: [{ index: 0, path: g.outputs[0]!.path }] });
  }, 30_000);

  test('the thumbnails a delivery enqueued are made at once by a worker of its process, not at the next poll', async () => {
    const g = await succeededGeneration(null, null);
    // A poll far longer than the wait below: only the delivery's wake-up can have fetched the job.
    await registerJob(ctx, { ...thumbnailJob, workOptions: () => ({ localConcurrency: 1, batchSize: 8, pollingIntervalSeconds: 60, notifyPollingIntervalSeconds: 60 }) });
    try {
      await expect.poll(() => boss.getWipData().some((w) => w.name === 'thumbnail' && w.lastFetchedOn !== null)).toBe(true);
      const idle = new IdleWorkers(boss, 'thumbnail', { behindBusy: true });
      await deliverJob.handle({ ...ctx, wakeThumbnailWorker: () => void idle.wakeOne() }, { generationId: g.id, kind: 'result' }, jobHelpers());
      await expect.poll(async () => (await repo.get(g.id)).outputs[0]?.thumbnails?.length ?? 0, { timeout: 10_000 }).toBe(4);
    } finally {
      await boss.offWork('thumbnail');
    }
  }, 30_000);

  test('a fetched batch of live edits: claimed in one statement, each reply edited once to show its place', async () => {
    const sent = [await deferredInteraction(), await deferredInteraction(), await deferredInteraction()];
    const gs = [];
    for (const [i, s] of sent.entries()) {
      const g = await repo.create({ ...(await succeededGeneration(null, null)), id: randomUUID(), interactionToken: s.token, interactionTokenExpiresAt: new Date(Date.now() + 14 * 60_000) } as never);
      await tdb.pool.query(`update generation set line_place = $2 where id = $1`, [g.id, JSON.stringify({ ahead: i, aheadSteps: 4 * i, busySteps: 0, instances: 1, secondsPerStep: null, steps: 4 })]);
      gs.push(g);
    }
    const seen: string[] = [];
    const db: typeof ctx.db = { executeSql: (text, values, name) => (seen.push(text), ctx.db.executeSql(text, values, name)) };
    await sendLiveEdits(boss, gs.map((g) => ({ id: g.id, waitMs: 0 })));
    await registerJob({ ...ctx, db }, { ...deliverJob, workOptions: (c) => ({ ...deliverJob.workOptions!(c), localConcurrency: 1 }) });
    await expect.poll(() => sent.map((s) => s.original()?.embeds[0]?.title), { timeout: 20_000 }).toEqual(['Queued — #1 in line', 'Queued — #2 in line', 'Queued — #3 in line']);
    await boss.offWork('deliver');
    expect(seen.filter((t) => t.includes('set live_edited_at = now()'))).toHaveLength(1);
    const shown = (await tdb.pool.query<{ shown: string | null }>(`select live_shown as shown from generation where id = any($1)`, [gs.map((g) => g.id)])).rows;
    expect(shown.every((r) => r.shown !== null)).toBe(true);
  }, 30_000);

  test('a live edit whose row another transaction holds is not waited for: it goes out once the row is free', async () => {
    const sent = [await deferredInteraction(), await deferredInteraction()];
    const gs = [];
    for (const [i, s] of sent.entries()) {
      const g = await repo.create({ ...(await succeededGeneration(null, null)), id: randomUUID(), interactionToken: s.token, interactionTokenExpiresAt: new Date(Date.now() + 14 * 60_000) } as never);
      await tdb.pool.query(`update generation set line_place = $2 where id = $1`, [g.id, JSON.stringify({ ahead: i, aheadSteps: 4 * i, busySteps: 0, instances: 1, secondsPerStep: null, steps: 4 })]);
      gs.push(g);
    }
    // As a slot claim holds the request it takes.
    const holder = await tdb.pool.connect();
    await holder.query('begin');
    await holder.query('select 1 from generation where id = $1 for update', [gs[0]!.id]);
    try {
      await sendLiveEdits(boss, gs.map((g) => ({ id: g.id, waitMs: 0 })));
      await registerJob(ctx, { ...deliverJob, workOptions: (c) => ({ ...deliverJob.workOptions!(c), localConcurrency: 1 }) });
      await expect.poll(() => sent[1]!.original()?.embeds[0]?.title, { timeout: 20_000 }).toBe('Queued — #2 in line');
      expect(sent[0]!.original()?.embeds[0]?.title).not.toBe('Queued — #1 in line');
    } finally {
      await holder.query('rollback');
      holder.release();
    }
    await expect.poll(() => sent[0]!.original()?.embeds[0]?.title, { timeout: 20_000 }).toBe('Queued — #1 in line');
    await boss.offWork('deliver');
  }, 30_000);

  test('a failure is delivered with its reason', async () => {
    const sent = await deferredInteraction();
    const row = await repo.create({ ...(await succeededGeneration(sent.token, new Date(Date.now() + 14 * 60_000))), id: randomUUID() } as never);
    await repo.transition(row.id, 'failed', { errorCode: 'out_of_memory', errorMessage: 'The GPU ran out of memory. Try a smaller size.' });
    await deliverJob.handle(ctx, { generationId: row.id, kind: 'failure' }, jobHelpers());
    expect(sent.original()!.embeds[0]).toMatchObject({ title: expect.stringContaining('failed'), description: expect.stringContaining('ran out of GPU memory') });
  });
});
