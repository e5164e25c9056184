import { createHash, randomUUID } from 'node:crypto';
import sharp from 'sharp';
import type { PgBoss } from 'pg-boss';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { asDb } from '#shared/db/pool.ts';
import { GenerationRepository } from '#shared/db/repositories/generation-repository.ts';
import { startBoss } from '#shared/queue/boss.ts';
import { generationPrefix, inputImageKey, originalKey } from '#shared/storage/keys.ts';
import { cleanupJob } from '#scheduler/jobs/cleanup.ts';
import { eraseMember } from '#shared/erasure/erase-member.ts';
import { deliverJob } from '#scheduler/jobs/deliver.ts';
import { generateDeadJob } from '#scheduler/jobs/generate-dead.ts';
import type { GenerateContext } from '#scheduler/context.ts';
import { reapStuckJob } from '#scheduler/jobs/reap-stuck.ts';
import { thumbnailJob } from '#scheduler/jobs/thumbnail.ts';
import { startDiscordSim, type DiscordSim } from '#sim/discord/index.ts';
import { createSchedulerContext, jobHelpers } from '../support/scheduler-context.ts';
import { newGeneration } from '../support/scheduler-harness.ts';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.ts';

let tdb: TestDatabase;
let boss: PgBoss;
let discord: DiscordSim;
let ctx: GenerateContext;
let repo: GenerationRepository;

beforeAll(async () => {
  tdb = await createTestDatabase();
  boss = await startBoss(tdb.url, { supervise: false });
  discord = await startDiscordSim();
  ctx = await createSchedulerContext({ tdb, boss, discord, env: { RETENTION_DAYS: '30' } });
  repo = new GenerationRepository(asDb(tdb.pool));
});
afterAll(async () => {
  await boss.stop({ graceful: false });
  await discord.close();
  await tdb.drop();
});
beforeEach(async () => {
  await tdb.pool.query('truncate generation cascade');
  await tdb.pool.query(`delete from pgboss.job where name in ('deliver', 'thumbnail')`);
});

const png = (seed: number) => sharp({ create: { width: 128, height: 96, channels: 3, background: { r: seed, g: 40, b: 90 } } }).png().toBuffer();

/** A succeeded generation whose outputs are really stored; `corrupt` indexes are truncated files. */
async function storedGeneration(opts: { outputs?: number; corrupt?: number[]; createdAt?: Date; kept?: number[]; initImageKey?: string } = {}) {
  const g = await repo.create(newGeneration(discord, { batchSize: opts.outputs ?? 1, ...(opts.initImageKey ? { initImageKey: opts.initImageKey } : {}) }));
  if (opts.createdAt) await tdb.pool.query('update generation set created_at = $2 where id = $1', [g.id, opts.createdAt]);
  const row = await repo.get(g.id);
  const prefix = generationPrefix(row.userId, row.createdAt, row.id);
  const outputs = [];
  for (let i = 0; i < (opts.outputs ?? 1); i++) {
    const data = await png(i * 50);
    const put = await ctx.storage.put(originalKey(prefix, i), opts.corrupt?.includes(i) ? data.subarray(0, 200) : data);
    outputs.push({ index: i, status: 'stored' as const, path: put.key, bytes: put.bytes, sha256: put.sha256, kept: opts.kept?.includes(i) });
  }
  await repo.transition(g.id, 'running');
  return repo.transition(g.id, 'succeeded', { outputs });
}

const jobsFor = async (name: string, id: string) =>
  (await tdb.pool.query(`select data from pgboss.job where name = $1 and data->>'generationId' = $2`, [name, id])).rows.map((r) => r.data);

describe('thumbnail', () => {
  test('a truncated image fails only that output, with a reason; the others get thumbnails', async () => {
    const g = await storedGeneration({ outputs: 3, corrupt: [1] });
    await thumbnailJob.handle(ctx, { generationId: g.id }, jobHelpers());
    const after = await repo.get(g.id);
    expect(after.outputs.map((o) => o.status)).toEqual(['stored', 'failed', 'stored']);
    expect(after.outputs[1]!.error).toMatch(/could not be decoded/);
    expect(after.outputs[0]!.thumbnails!.map((t) => `${t.format}${t.size}`)).toEqual(['webp256', 'webp512', 'webp1024', 'jpeg512']);
    for (const t of after.outputs[2]!.thumbnails!) {
      expect((await ctx.storage.stat(t.path))?.bytes).toBe(t.bytes);
      // Recorded so the image route can refuse a thumbnail that changed on disk.
      expect(createHash('sha256').update(await ctx.storage.get(t.path)).digest('hex')).toBe(t.sha256);
    }
  });

  test('the same thumbnails enqueued twice (a retried delivery) and run in one batch: one merge, each output once', async () => {
    const g = await storedGeneration({ outputs: 2 });
    const batch = await thumbnailJob.batch!.start(ctx, []);
    for (let i = 0; i < 2; i++) await thumbnailJob.handle(ctx, { generationId: g.id }, { ...jobHelpers(), batch });
    expect((await repo.get(g.id)).outputs.every((o) => !o.thumbnails)).toBe(true);
    await thumbnailJob.batch!.end(ctx, batch);
    const after = await repo.get(g.id);
    expect(after.outputs.map((o) => [o.index, o.status, o.thumbnails?.length])).toEqual([[0, 'stored', 4], [1, 'stored', 4]]);
    for (const t of after.outputs.flatMap((o) => o.thumbnails!)) expect((await ctx.storage.stat(t.path))?.bytes).toBe(t.bytes);
  });
});

describe('cleanup (retention)', () => {
  test('by age: old unkept outputs and their thumbnails are deleted, kept ones and recent ones stay', async () => {
    const old = await storedGeneration({ outputs: 2, kept: [1], createdAt: new Date(Date.now() - 40 * 86_400_000) });
    const recent = await storedGeneration();
    await thumbnailJob.handle(ctx, { generationId: old.id }, jobHelpers());
    const withThumbs = await repo.get(old.id);
    await cleanupJob.handle(ctx, {}, jobHelpers());
    const after = await repo.get(old.id);
    expect(after.outputs.map((o) => o.status)).toEqual(['expired', 'stored']);
    expect(await ctx.storage.stat(withThumbs.outputs[0]!.path!)).toBeUndefined();
    for (const t of withThumbs.outputs[0]!.thumbnails!) expect(await ctx.storage.stat(t.path)).toBeUndefined();
    expect(await ctx.storage.stat(withThumbs.outputs[1]!.path!)).toBeDefined();
    expect((await repo.get(recent.id)).outputs[0]!.status).toBe('stored');
  });

  test('by age: a picture a member started from goes with the last output that needs it; one a kept, recent or unfinished generation uses stays', async () => {
    const old = new Date(Date.now() - 40 * 86_400_000);
    const picture = async (n: number) => {
      const key = inputImageKey(newGeneration(discord).userId, createHash('sha256').update(`picture ${n}`).digest('hex'));
      await ctx.storage.put(key, await png(n));
      return key;
    };
    const [alone, sharedWithRecent, sharedWithKept, sharedWithQueued] = [await picture(1), await picture(2), await picture(3), await picture(4)];
    await storedGeneration({ createdAt: old, initImageKey: alone });
    for (const key of [sharedWithRecent, sharedWithKept, sharedWithQueued]) await storedGeneration({ createdAt: old, initImageKey: key });
    await storedGeneration({ initImageKey: sharedWithRecent });
    await storedGeneration({ createdAt: old, kept: [0], initImageKey: sharedWithKept });
    const queued = await repo.create(newGeneration(discord, { initImageKey: sharedWithQueued }));
    await tdb.pool.query('update generation set created_at = $2 where id = $1', [queued.id, old]);

    await cleanupJob.handle(ctx, {}, jobHelpers());
    expect(await ctx.storage.stat(alone)).toBeUndefined();
    for (const key of [sharedWithRecent, sharedWithKept, sharedWithQueued]) expect(await ctx.storage.stat(key)).toBeDefined();
  });

  test('by total size: the oldest unkept go first until under the cap', async () => {
    const sized = await createSchedulerContext({ tdb, boss, discord, env: { RETENTION_DAYS: '0', STORAGE_MAX_GB: String(1 / 1024 ** 3) } });
    sized.storage = ctx.storage;
    const a = await storedGeneration({ createdAt: new Date(Date.now() - 3000) });
    const b = await storedGeneration({ createdAt: new Date(Date.now() - 2000), kept: [0] });
    const c = await storedGeneration({ createdAt: new Date(Date.now() - 1000) });
    await cleanupJob.handle(sized, {}, jobHelpers());
    expect((await repo.get(a.id)).outputs[0]!.status).toBe('expired');
    expect((await repo.get(b.id)).outputs[0]!.status).toBe('stored');
    expect((await repo.get(c.id)).outputs[0]!.status).toBe('expired');
  });
});

describe('cleanup (tokens and rows)', () => {
  test('expired interaction tokens are cleared; finished rows past GENERATION_ROW_RETENTION_DAYS go, files first; kept and running rows stay', async () => {
    const pruning = await createSchedulerContext({ tdb, boss, discord, env: { RETENTION_DAYS: '0', GENERATION_ROW_RETENTION_DAYS: '10' } });
    pruning.storage = ctx.storage;
    const old = new Date(Date.now() - 11 * 86_400_000);
    const startedFrom = inputImageKey(newGeneration(discord).userId, createHash('sha256').update('row picture').digest('hex'));
    await ctx.storage.put(startedFrom, await png(7));
    const failed = await repo.create(newGeneration(discord, { initImageKey: startedFrom }));
    await repo.transition(failed.id, 'failed');
    await tdb.pool.query('update generation set created_at = $2 where id = $1', [failed.id, old]);
    const gone = await storedGeneration({ createdAt: old });
    const kept = await storedGeneration({ createdAt: old, kept: [0] });
    const running = await repo.create(newGeneration(discord));
    await tdb.pool.query('update generation set created_at = $2 where id = $1', [running.id, old]);
    const recent = await storedGeneration();
    await tdb.pool.query(`update generation set interaction_token = 'tok-expired', interaction_token_expires_at = now() - interval '1 minute' where id = $1`, [recent.id]);
    await tdb.pool.query(`update generation set interaction_token = 'tok-live', interaction_token_expires_at = now() + interval '10 minutes' where id = $1`, [kept.id]);

    await cleanupJob.handle(pruning, {}, jobHelpers());
    const { rows } = await tdb.pool.query<{ id: string; interaction_token: string | null }>('select id, interaction_token from generation');
    const left = new Map(rows.map((r) => [r.id, r.interaction_token]));
    expect(left.has(gone.id)).toBe(false);
    expect(await ctx.storage.stat(gone.outputs[0]!.path!)).toBeUndefined();
    expect(left.has(failed.id)).toBe(false);
    expect(await ctx.storage.stat(startedFrom)).toBeUndefined();
    expect(left.get(kept.id)).toBe('tok-live');
    expect(await ctx.storage.stat(kept.outputs[0]!.path!)).toBeDefined();
    expect(left.has(running.id)).toBe(true);
    expect(left.has(recent.id)).toBe(true);
    expect(left.get(recent.id)).toBeNull();
  });
});

describe('cleanup (pending erasure)', () => {
  test('an erasure that found work on a GPU asks it to stop, then cleanup erases the rest once it has', async () => {
    const userId = '100000000000000777';
    const done = await storedGeneration();
    await tdb.pool.query('update generation set user_id = $2 where id = $1', [done.id, userId]);
    const running = await repo.create(newGeneration(discord, { userId }));
    await repo.transition(running.id, 'running');

    const first = await eraseMember(ctx, userId, 'admin-token');
    expect(first).toMatchObject({ generations: 1, stillStopping: 1 });
    expect(await ctx.storage.stat(done.outputs[0]!.path!)).toBeUndefined();
    expect((await repo.get(running.id)).status).toBe('cancel_requested');
    expect((await tdb.pool.query('select user_id from pending_erasure')).rows).toEqual([{ user_id: userId }]);
    // Still stopping: cleanup leaves it alone.
    await cleanupJob.handle(ctx, {}, jobHelpers());
    expect(await repo.find(running.id)).toBeDefined();

    await repo.transition(running.id, 'cancelled', {}, ['cancel_requested']);
    await cleanupJob.handle(ctx, {}, jobHelpers());
    expect(await repo.find(running.id)).toBeUndefined();
    expect((await tdb.pool.query('select * from pending_erasure')).rows).toEqual([]);
    const audit = await tdb.pool.query(`select actor, after from audit_log where action = 'user.erase' and entity_id = $1 order by id`, [userId]);
    expect(audit.rows.map((r) => r.actor)).toEqual(['admin-token', 'scheduler']);
    expect(audit.rows[1].after).toMatchObject({ generations: 1, stillStopping: 0 });
    const left = [];
    for await (const o of ctx.storage.list(`${userId}/`)) left.push(o.key);
    expect(left).toEqual([]);
  });
});

describe('cleanup (limiter usage)', () => {
  test('forgets users with nothing queued or running whose day is over; keeps today\'s and anyone with work in line', async () => {
    await tdb.pool.query('truncate user_usage');
    await tdb.pool.query(
      `insert into user_usage (user_id, minute_start, hour_start, day_start, day_count, active) values
        ('100000000000000001', now() - interval '2 days', now() - interval '2 days', date_trunc('day', now(), 'UTC') - interval '2 days', 5, 0),
        ('100000000000000002', now() - interval '2 days', now() - interval '2 days', date_trunc('day', now(), 'UTC') - interval '2 days', 5, 1),
        ('100000000000000003', now(), now(), date_trunc('day', now(), 'UTC'), 5, 0)`,
    );
    await cleanupJob.handle(ctx, {}, jobHelpers());
    const { rows } = await tdb.pool.query(`select user_id from user_usage order by user_id`);
    expect(rows.map((r) => r.user_id)).toEqual(['100000000000000002', '100000000000000003']);
  });
});

describe('reap-stuck and generate-dead', () => {
  test('an active generation whose job vanished is failed with a reason and its failure delivered', async () => {
    const g = await repo.create(newGeneration(discord));
    await tdb.pool.query(`update generation set updated_at = now() - interval '10 minutes' where id = $1`, [g.id]);
    await reapStuckJob.handle(ctx, {}, jobHelpers());
    const after = await repo.get(g.id);
    expect(after).toMatchObject({ status: 'failed', errorCode: 'lost' });
    expect(await jobsFor('deliver', g.id)).toEqual([{ generationId: g.id, kind: 'failure' }]);
  });

  test('a finished generation never delivered gets its delivery enqueued again', async () => {
    const g = await storedGeneration();
    await tdb.pool.query(`delete from pgboss.job where name = 'deliver'`);
    await tdb.pool.query(`update generation set finished_at = now() - interval '10 minutes' where id = $1`, [g.id]);
    await reapStuckJob.handle(ctx, {}, jobHelpers());
    expect(await jobsFor('deliver', g.id)).toEqual([{ generationId: g.id, kind: 'result' }]);
  });

  test('a recent active generation with a live job is left alone', async () => {
    const g = await repo.create(newGeneration(discord));
    await reapStuckJob.handle(ctx, {}, jobHelpers());
    expect((await repo.get(g.id)).status).toBe('queued');
  });

  test("every delivery of a generation shares one pg-boss group, and the deliver worker runs one per group", async () => {
    const g = await repo.create(newGeneration(discord));
    await generateDeadJob.handle(ctx, { generationId: g.id }, jobHelpers());
    const { rows } = await tdb.pool.query(`select group_id from pgboss.job where name = 'deliver' and data->>'generationId' = $1`, [g.id]);
    expect(rows).toEqual([{ group_id: g.id }]);
    expect(deliverJob.workOptions!(ctx)).toMatchObject({ groupConcurrency: 1 });
  });

  test('a generate job out of retries fails its generation with a reason, once', async () => {
    const g = await repo.create(newGeneration(discord));
    await generateDeadJob.handle(ctx, { generationId: g.id }, jobHelpers());
    await generateDeadJob.handle(ctx, { generationId: g.id }, jobHelpers());
    expect(await repo.get(g.id)).toMatchObject({ status: 'failed', errorCode: 'retries_exhausted' });
    expect(await jobsFor('deliver', g.id)).toHaveLength(1);
  });

  /** A generation running under a generate job a worker holds right now (not necessarily its own job). */
  async function placedByLiveJob() {
    const g = await repo.create(newGeneration(discord));
    await ctx.boss.send('generate', { generationId: randomUUID() }, { priority: 1000 });
    const [job] = await ctx.boss.fetch('generate');
    await tdb.pool.query(
      `update generation set status = 'running', comfy_prompt_id = gen_random_uuid(), generate_job_id = $2,
        updated_at = now() - interval '10 minutes' where id = $1`,
      [g.id, job!.id],
    );
    return g;
  }

  test("a generation placed by another live job is not reaped, nor failed when its own job runs out of retries", async () => {
    const g = await placedByLiveJob();
    await reapStuckJob.handle(ctx, {}, jobHelpers());
    await generateDeadJob.handle(ctx, { generationId: g.id }, jobHelpers());
    expect((await repo.get(g.id)).status).toBe('running');
    expect(await jobsFor('deliver', g.id)).toEqual([]);
  });

  test('an unknown generation id in a dead job is not an error loop', async () => {
    const id = randomUUID();
    await expect(generateDeadJob.handle(ctx, { generationId: id }, jobHelpers())).resolves.toBeUndefined();
    expect(await jobsFor('deliver', id)).toEqual([]);
  });
});
