import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { asDb } from '#shared/db/pool.ts';
import { GenerationRepository, type NewGeneration } from '#shared/db/repositories/generation-repository.ts';
import { ErrorCode } from '#shared/errors.ts';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.ts';
import { generationInput } from '../support/generation-fixture.ts';

let tdb: TestDatabase;
let repo: GenerationRepository;

beforeAll(async () => {
  tdb = await createTestDatabase();
  repo = new GenerationRepository(asDb(tdb.pool));
});
afterAll(async () => {
  await tdb.drop();
});
beforeEach(async () => {
  await tdb.pool.query('truncate generation cascade');
});

function newGeneration(overrides: Partial<NewGeneration> = {}): NewGeneration {
  return generationInput({ interactionId: '500000000000000001', interactionToken: 'secret-interaction-token', interactionTokenExpiresAt: new Date(Date.now() + 15 * 60_000), negativePrompt: 'blurry', checkpoint: 'sd_xl_base_1.0.safetensors', loras: [{ name: 'detail.safetensors', strengthModel: 0.8, strengthClip: 0.8 }, { name: 'style.safetensors', strengthModel: 0.5, strengthClip: 0 }], width: 1024, height: 1024, batchSize: 2, steps: 25, ...overrides });
}

describe('GenerationRepository', () => {
  test('create and read back every field, LoRA order kept', async () => {
    const input = newGeneration();
    const created = await repo.create(input);
    expect(created.status).toBe('queued');
    expect(created.attempts).toBe(0);
    const read = await repo.get(input.id);
    expect(read).toMatchObject({ ...input, status: 'queued', progress: 0, outputs: [] });
    expect(read.loras.map((l) => l.name)).toEqual(['detail.safetensors', 'style.safetensors']);
  });

  test('a 64-bit seed (2^64−1) survives exactly as a string', async () => {
    const max = '18446744073709551615';
    const created = await repo.create(newGeneration({ seed: max }));
    expect(created.seed).toBe(max);
    expect((await repo.get(created.id)).seed).toBe(max);
  });

  test('constraints: seed beyond 64 bits and zero width become validation errors', async () => {
    await expect(repo.create(newGeneration({ seed: '18446744073709551616' }))).rejects.toMatchObject({ code: ErrorCode.Validation });
    await expect(repo.create(newGeneration({ width: 0 }))).rejects.toMatchObject({ code: ErrorCode.Validation });
    await expect(repo.create(newGeneration({ parentId: randomUUID() }))).rejects.toMatchObject({ code: ErrorCode.Validation });
  });

  test('duplicate id is a conflict', async () => {
    const g = newGeneration();
    await repo.create(g);
    await expect(repo.create(g)).rejects.toMatchObject({ code: ErrorCode.Conflict });
  });

  test('allowed transitions set timestamps; forbidden ones throw and change nothing', async () => {
    const g = await repo.create(newGeneration());
    const running = await repo.transition(g.id, 'running', { comfyPromptId: randomUUID(), incrementAttempts: true });
    expect(running.status).toBe('running');
    expect(running.startedAt).toBeInstanceOf(Date);
    expect(running.attempts).toBe(1);
    const done = await repo.transition(g.id, 'succeeded', { outputs: [{ index: 0, status: 'stored', path: 'a.png' }] });
    expect(done.finishedAt).toBeInstanceOf(Date);
    expect(done.progress).toBe(1);
    expect(done.outputs).toHaveLength(1);

    await expect(repo.transition(g.id, 'running')).rejects.toMatchObject({
      code: ErrorCode.InvalidTransition,
      details: { from: 'succeeded', to: 'running' },
    });
    await expect(repo.transition(g.id, 'queued')).rejects.toMatchObject({ code: ErrorCode.InvalidTransition });
    expect((await repo.get(g.id)).status).toBe('succeeded');
  });

  test('queued cannot jump to succeeded; cancel_requested can end cancelled', async () => {
    const g = await repo.create(newGeneration());
    await expect(repo.transition(g.id, 'succeeded')).rejects.toMatchObject({ code: ErrorCode.InvalidTransition });
    await repo.transition(g.id, 'cancel_requested');
    const cancelled = await repo.transition(g.id, 'cancelled');
    expect(cancelled.status).toBe('cancelled');
  });

  test('concurrent transitions from the same status: exactly one wins', async () => {
    const g = await repo.create(newGeneration());
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => repo.transition(g.id, 'running', {}, ['queued'])));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });

  test('missing generation is not found', async () => {
    await expect(repo.get(randomUUID())).rejects.toMatchObject({ code: ErrorCode.NotFound });
    await expect(repo.transition(randomUUID(), 'running')).rejects.toMatchObject({ code: ErrorCode.NotFound });
  });

  test('history pages: newest first, stable across page boundaries when timestamps tie', async () => {
    const user = '100000000000000777';
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) {
      const g = await repo.create(newGeneration({ userId: user }));
      ids.push(g.id);
    }
    await repo.create(newGeneration({ userId: '100000000000000888' }));
    // Ten rows share one timestamp, the rest are spread out.
    await tdb.pool.query(`update generation set created_at = '2026-01-01T00:00:00.000Z' where id = any($1::uuid[])`, [ids.slice(5, 15)]);
    await tdb.pool.query(
      `update generation set created_at = '2026-01-02T00:00:00.000Z'::timestamptz + (row_number * interval '1 second')
       from (select id as gid, row_number() over (order by id) from generation where id = any($1::uuid[])) r where id = r.gid`,
      [[...ids.slice(0, 5), ...ids.slice(15)]],
    );

    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await repo.historyPage(user, { limit: 4, cursor });
      seen.push(...page.items.map((g) => g.id));
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor);
    expect(pages).toBe(7);
    expect(new Set(seen).size).toBe(25);
    expect(seen.sort()).toEqual([...ids].sort());

    const { rows } = await tdb.pool.query<{ id: string }>(
      `select id from generation where user_id = $1 order by created_at desc, id desc`,
      [user],
    );
    const ordered: string[] = [];
    cursor = undefined;
    do {
      const page = await repo.historyPage(user, { limit: 3, cursor });
      ordered.push(...page.items.map((g) => g.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(ordered).toEqual(rows.map((r) => r.id));
  });

  test('admin listing filters by status and guild, and pages', async () => {
    const a = await repo.create(newGeneration({ guildId: '200000000000000009' }));
    await repo.create(newGeneration({ guildId: '200000000000000009' }));
    await repo.create(newGeneration());
    await repo.transition(a.id, 'cancelled');
    const cancelled = await repo.list({ status: ['cancelled'] });
    expect(cancelled.items.map((g) => g.id)).toEqual([a.id]);
    const guild = await repo.list({ guildId: '200000000000000009' }, { limit: 1 });
    expect(guild.items).toHaveLength(1);
    expect(guild.nextCursor).not.toBeNull();
    const rest = await repo.list({ guildId: '200000000000000009' }, { limit: 1, cursor: guild.nextCursor! });
    expect(rest.items).toHaveLength(1);
    expect(rest.nextCursor).toBeNull();
    await expect(repo.list({}, { cursor: 'garbage' })).rejects.toMatchObject({ code: ErrorCode.Validation });
    await expect(repo.list({}, { limit: 1000 })).rejects.toMatchObject({ code: ErrorCode.Validation });
  });
});
