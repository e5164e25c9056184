import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MessageFlags, PermissionFlagsBits } from 'discord-api-types/v10';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { defaultImageInput } from '#bot/images/image-input.ts';
import type { RecordedResponse, SimMessage } from '#sim/discord/index.ts';
import type { MikroORM } from '@mikro-orm/postgresql';
import { startAdminApi, type RunningAdminApi } from '#admin/start.ts';
import { discoverModelsJob } from '#scheduler/jobs/discover-models.ts';
import { createOrm } from '#shared/db/orm.ts';
import { asDb } from '#shared/db/pool.ts';
import { ImageLinks } from '#shared/images/image-links.ts';
import { createLogger } from '#shared/logging.ts';
import { LocalStorage } from '#shared/storage/local-storage.ts';
import { startE2E, type E2E, type Player } from '../support/e2e.ts';
import { jobHelpers } from '../support/scheduler-context.ts';
import { exportedTxt2Img, exportedTxt2ImgBindings } from '../support/workflow-template-fixture.ts';
import { startSchedulerHarness, type SchedulerHarness } from '../support/scheduler-harness.ts';

// /imagine image: through the real discord.js client against sim/discord, the scheduler and
// sim/comfyui: the picture is checked, stored, uploaded to ComfyUI and started from; ⬆ and 🔀 on
// the result make new generations from the shown image.

let e2e: E2E;
let scheduler: SchedulerHarness;
let orm: MikroORM;
let admin: RunningAdminApi;
const adminToken = 'e2e-admin-token-0123456789abcdef';
const imageInput = { ...defaultImageInput, maxBytes: 200_000, maxPixels: 2_000_000, varyStrength: 0.55 };

beforeAll(async () => {
  const storageDir = await mkdtemp(path.join(tmpdir(), 'gn-e2e-img2img-'));
  e2e = await startE2E({ comfy: true, imageInput, images: async () => ({ storageDir, baseUrl: 'http://127.0.0.1:8787' }) });
  e2e.comfy!.setSecondsPerStep(0.005);
  scheduler = await startSchedulerHarness({ tdb: e2e.db, discord: e2e.sim, comfyUrls: [e2e.comfy!.url], env: { STORAGE_DIR: storageDir } });
  await discoverModelsJob.handle(scheduler.scheduler.context, {}, jobHelpers());
  orm = await createOrm(e2e.db.url);
  const db = asDb(e2e.db.pool);
  admin = await startAdminApi({
    db, orm, adminToken, logger: createLogger({ level: 'silent' }), host: '127.0.0.1', port: 0,
    images: { storage: new LocalStorage(storageDir), links: new ImageLinks({ db, ttlSeconds: 600, baseUrl: 'http://unused' }) },
  });
});
afterAll(async () => {
  await admin?.close();
  await orm?.close();
  await scheduler?.stop();
  await e2e?.stop();
});

const member = String(PermissionFlagsBits.ViewChannel | PermissionFlagsBits.SendMessages | PermissionFlagsBits.ReadMessageHistory);
type Button = { custom_id?: string; emoji?: { name?: string } };
const buttons = (m: { components?: unknown[] }) => ((m.components ?? []) as { components?: Button[] }[]).flatMap((row) => row.components ?? []);
const button = (m: SimMessage, emoji: string) => buttons(m).find((b) => b.emoji?.name === emoji)!.custom_id!;
const isEphemeral = (r: RecordedResponse) => (((r.data as { flags?: number }).flags ?? 0) & MessageFlags.Ephemeral) !== 0;
const refusalText = (r: RecordedResponse) => (r.data as { embeds?: { description?: string }[] }).embeds?.[0]?.description ?? '';

function attach(data: Uint8Array, filename = 'start.png') {
  return e2e.sim.uploadAttachment({ channelId: e2e.channel.id, filename, contentType: 'image/png', data });
}

async function generationsOf(player: Player): Promise<number> {
  return (await e2e.db.pool.query<{ n: number }>('select count(*)::int as n from generation where user_id = $1', [player.user.id])).rows[0]!.n;
}

/** The prompt ComfyUI ran for a generation, from its own history. */
async function promptRan(promptId: string): Promise<Record<string, { class_type: string; inputs: Record<string, unknown> }>> {
  const history = (await (await fetch(`${e2e.comfy!.url}/history/${promptId}`)).json()) as Record<string, { prompt: unknown[] }>;
  return history[promptId]!.prompt[2] as Record<string, { class_type: string; inputs: Record<string, unknown> }>;
}
const nodesOf = (graph: Awaited<ReturnType<typeof promptRan>>, type: string) => Object.values(graph).filter((n) => n.class_type === type);

/** A new generation a button press made, followed to its delivered result. */
async function childOf(parentId: string, response: RecordedResponse) {
  expect(response.type).toBe(4);
  expect(isEphemeral(response), refusalText(response)).toBe(false);
  const { rows } = await e2e.db.pool.query<{ id: string }>('select id from generation where parent_id = $1 order by created_at desc limit 1', [parentId]);
  return scheduler.waitFor(rows[0]!.id, ['succeeded'], { delivered: true, timeoutMs: 20_000 });
}

describe('image to image through Discord', () => {
  test('an attached picture is stored, uploaded to ComfyUI and started from; ⬆ upscales and 🔀 varies the shown result; 🔁 keeps the picture', async () => {
    const owner = e2e.playUser();
    const picture = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#2a6f97' } }).png().toBuffer();
    const played = await owner.imagine({ prompt: 'a harbour at dawn', image: attach(picture).id, strength: 0.5, steps: 4 }, { permissions: member });
    expect(isEphemeral(played.response), refusalText(played.response)).toBe(false);
    const { rows } = await e2e.db.pool.query<{ id: string }>('select id from generation where user_id = $1', [owner.user.id]);
    const g = await scheduler.waitFor(rows[0]!.id, ['succeeded'], { delivered: true, timeoutMs: 20_000 });
    expect(g).toMatchObject({ workflowTemplate: 'img2img', denoise: 0.5, width: 640, height: 480, batchSize: 1 });
    expect(g.initImageKey).toMatch(new RegExp(`^${owner.user.id}/inputs/[0-9a-f]{64}\\.png$`));
    expect(e2e.comfy!.requests).toContain('POST /upload/image');
    const graph = await promptRan(g.comfyPromptId!);
    expect(nodesOf(graph, 'LoadImage')[0]!.inputs.image).toMatch(/^genonaut-[0-9a-f]{32}\.png$/);
    expect(nodesOf(graph, 'VAEEncode')).toHaveLength(1);
    expect(nodesOf(graph, 'KSampler')[0]!.inputs.denoise).toBe(0.5);

    await expect.poll(() => buttons(played.message() ?? {}).map((b) => b.emoji?.name), { timeout: 10_000 }).toEqual(['🔁', '🎲', '⬆', '🔀', '⭐', '🗑']);
    const message = () => played.message()!;
    expect(JSON.stringify(message().embeds)).toContain('a picture, strength 0.5');
    expect(((message().components ?? []) as unknown[]).length).toBe(2);

    const upPress = await owner.click(message(), button(message(), '⬆'), { permissions: member });
    const up = await childOf(g.id, upPress.response);
    expect(up).toMatchObject({ parentId: g.id, workflowTemplate: 'upscale', width: 1280, height: 960, seed: g.seed, denoise: defaultImageInput.upscaleStrength });
    expect(up.initImageKey).toBe(g.outputs[0]!.path);
    const upGraph = await promptRan(up.comfyPromptId!);
    expect(nodesOf(upGraph, 'LatentUpscale')[0]!.inputs).toMatchObject({ width: 1280, height: 960 });
    expect(up.outputs[0]).toMatchObject({ status: 'stored', width: 1280, height: 960 });
    const upMessage = upPress.message()!;
    expect(buttons(upMessage).map((b) => b.emoji?.name)).toContain('🔀');

    const varied = await childOf(g.id, (await owner.click(message(), button(message(), '🔀'), { permissions: member })).response);
    expect(varied).toMatchObject({ parentId: g.id, workflowTemplate: 'img2img', denoise: 0.55, width: 640, height: 480 });
    expect(varied.seed).not.toBe(g.seed);
    expect(varied.initImageKey).toBe(g.outputs[0]!.path);

    const again = await childOf(g.id, (await owner.click(message(), button(message(), '🔁'), { permissions: member })).response);
    expect(again).toMatchObject({ initImageKey: g.initImageKey, denoise: 0.5, workflowTemplate: 'img2img', seed: g.seed });

    // Someone else's result: refused, nothing queued.
    const stranger = e2e.playUser();
    const refused = await stranger.click(message(), button(message(), '⬆'), { permissions: member });
    expect(isEphemeral(refused.response)).toBe(true);
    expect(await generationsOf(stranger)).toBe(0);
  });

  test('the larger form takes a picture in its file upload, with the strength given to the command', async () => {
    const owner = e2e.playUser();
    const opened = await owner.imagine({ strength: 0.3, steps: 4 }, { permissions: member });
    expect(opened.response.type).toBe(9);
    const modal = opened.response.data as { custom_id: string; components: { component?: { type: number; custom_id: string } }[] };
    expect(modal.components.map((c) => c.component?.type)).toEqual([4, 4, 4, 19]);
    const picture = await sharp({ create: { width: 512, height: 512, channels: 3, background: '#884422' } }).webp().toBuffer();
    const submitted = await owner.submitModal(modal.custom_id, { prompt: 'a long careful prompt', negative: '', loras: '', image: attach(picture, 'start.webp').id });
    expect(isEphemeral(submitted.response), refusalText(submitted.response)).toBe(false);
    const { rows } = await e2e.db.pool.query<{ id: string }>('select id from generation where user_id = $1', [owner.user.id]);
    const g = await scheduler.waitFor(rows[0]!.id, ['succeeded'], { delivered: true, timeoutMs: 20_000 });
    expect(g).toMatchObject({ workflowTemplate: 'img2img', denoise: 0.3, width: 512, height: 512, steps: 4 });
    expect(g.initImageKey).toMatch(/\/inputs\//);
    // A picture in the command without a prompt cannot ride into the form: refused, with the way out.
    const refused = await owner.imagine({ image: attach(picture).id }, { permissions: member });
    expect(isEphemeral(refused.response)).toBe(true);
    expect(refusalText(refused.response)).toMatch(/attach the picture in the form/);
    expect(e2e.sim.violations).toEqual([]);
  });

  test('an instance that refuses the upload (413) fails the request with the reason; a 5xx is retried', async () => {
    const owner = e2e.playUser();
    const picture = await sharp({ create: { width: 256, height: 256, channels: 3, background: '#123456' } }).png().toBuffer();
    e2e.comfy!.failNextRequests(1, { status: 413, pathPrefix: '/upload/image' });
    await owner.imagine({ prompt: 'refused', image: attach(picture).id, steps: 2 }, { permissions: member });
    const { rows } = await e2e.db.pool.query<{ id: string }>('select id from generation where user_id = $1', [owner.user.id]);
    const failed = await scheduler.waitFor(rows[0]!.id, ['failed'], { delivered: true, timeoutMs: 20_000 });
    expect(failed.errorMessage).toMatch(/refused the starting picture \(HTTP 413\)/);

    e2e.comfy!.failNextRequests(1, { status: 503, pathPrefix: '/upload/image' });
    await owner.imagine({ prompt: 'retried', image: attach(picture).id, steps: 2 }, { permissions: member });
    const second = (await e2e.db.pool.query<{ id: string }>("select id from generation where user_id = $1 and prompt = 'retried'", [owner.user.id])).rows[0]!;
    await scheduler.waitFor(second.id, ['succeeded'], { delivered: true, timeoutMs: 20_000 });
  });

  test('with an uploaded workflow the picture goes to its init image binding; a workflow without one refuses a picture', async () => {
    const upload = async (name: string, workflow: unknown, bindings: unknown) => {
      const res = await fetch(`${admin.url}/api/v1/workflows`, {
        method: 'POST', headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ name, workflow, bindings }),
      });
      expect(res.status, await res.clone().text()).toBe(201);
    };
    // ComfyUI's default graph turned image to image: LoadImage → VAEEncode instead of EmptyLatentImage.
    const graph = exportedTxt2Img();
    delete graph['5'];
    graph['10'] = { inputs: { image: 'example.png' }, class_type: 'LoadImage', _meta: { title: 'Load Image' } };
    graph['11'] = { inputs: { pixels: ['10', 0], vae: ['4', 2] }, class_type: 'VAEEncode', _meta: { title: 'VAE Encode' } };
    graph['3']!.inputs.latent_image = ['11', 0];
    const { width: _w, height: _h, batchSize: _b, ...bindings } = exportedTxt2ImgBindings();
    await upload('restyle', graph, { ...bindings, initImage: { node: '10', input: 'image' } });
    await upload('plain', exportedTxt2Img(), exportedTxt2ImgBindings());

    const owner = e2e.playUser();
    const picture = await sharp({ create: { width: 512, height: 512, channels: 3, background: '#aa3322' } }).png().toBuffer();
    const refused = await owner.imagine({ prompt: 'no picture here', image: attach(picture).id, workflow: 'plain' }, { permissions: member });
    expect(isEphemeral(refused.response)).toBe(true);
    expect(refusalText(refused.response)).toMatch(/workflow plain takes no picture/);
    expect(await generationsOf(owner)).toBe(0);

    const played = await owner.imagine({ prompt: 'restyled', image: attach(picture).id, strength: 0.4, workflow: 'restyle', steps: 3 }, { permissions: member });
    expect(isEphemeral(played.response), refusalText(played.response)).toBe(false);
    const { rows } = await e2e.db.pool.query<{ id: string }>('select id from generation where user_id = $1', [owner.user.id]);
    const g = await scheduler.waitFor(rows[0]!.id, ['succeeded'], { delivered: true, timeoutMs: 20_000 });
    expect(g).toMatchObject({ workflowTemplate: 'restyle', denoise: 0.4 });
    expect(g.workflowVersionId).not.toBeNull();
    const ran = await promptRan(g.comfyPromptId!);
    expect(ran['10']!.inputs.image).toMatch(/^genonaut-[0-9a-f]{32}\.png$/);
    expect(ran['3']!.inputs).toMatchObject({ denoise: 0.4, steps: 3 });
  });

  test('too many bytes, too many pixels, or a file that is not a picture: an ephemeral refusal, nothing queued', async () => {
    const owner = e2e.playUser();
    const noise = Buffer.from(Array.from({ length: 300 * 300 * 3 }, () => Math.floor(Math.random() * 256)));
    const heavy = await sharp(noise, { raw: { width: 300, height: 300, channels: 3 } }).png().toBuffer();
    expect(heavy.byteLength).toBeGreaterThan(imageInput.maxBytes);
    const huge = await sharp({ create: { width: 2000, height: 1100, channels: 3, background: '#000' } }).png().toBuffer();
    const fake = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('not really a picture')]);
    const cases: [Buffer, RegExp][] = [[heavy, /larger than 0\.2 MB/], [huge, /2000×1100, more than 2\.0 megapixels/], [fake, /not a picture we can read/]];
    for (const [data, why] of cases) {
      const played = await owner.imagine({ prompt: 'a harbour at dawn', image: attach(data, 'start.png').id }, { permissions: member });
      expect(isEphemeral(played.response)).toBe(true);
      expect(refusalText(played.response)).toMatch(why);
    }
    expect(await generationsOf(owner)).toBe(0);
  });
});
