import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, test } from 'vitest';
import { asDb } from '#shared/db/pool.ts';
import { GenerationRepository, type NewGeneration } from '#shared/db/repositories/generation-repository.ts';
import { errorOf, adminApiForFile } from './harness.ts';
import { generationInput } from '../support/generation-fixture.ts';

const world = adminApiForFile();

let repo: GenerationRepository;

const alice = '100000000000000001';
const bob = '100000000000000002';
const guildA = '200000000000000001';
const guildB = '200000000000000002';

function generation(overrides: Partial<NewGeneration>): NewGeneration {
  return generationInput({
    userId: alice,
    guildId: guildA,
    interactionId: '500000000000000001',
    interactionToken: 'aW50ZXJhY3Rpb246c2VjcmV0LXRva2VuLXZhbHVl',
    interactionTokenExpiresAt: new Date(Date.now() + 15 * 60_000),
    prompt: 'a cat',
    width: 512,
    height: 512,
    seed: '18446744073709551615',
    steps: 20,
    ...overrides,
  });
}

interface GenerationJson {
  id: string;
  userId: string;
  status: string;
  seed: string;
  interactionToken?: unknown;
}
interface PageJson {
  items: GenerationJson[];
  nextCursor: string | null;
}

const aliceIds: string[] = [];

beforeAll(async () => {
  repo = new GenerationRepository(asDb(world.tdb.pool));
  for (let i = 0; i < 5; i++) aliceIds.push((await repo.create(generation({ prompt: `alice ${i}`, checkpoint: i % 2 ? 'other.safetensors' : 'base.safetensors' }))).id);
  // Rows made within one millisecond would tie on created_at (then order by id): space them out.
  await world.tdb.pool.query(
    `update generation set created_at = '2026-01-01T00:00:00Z'::timestamptz + (array_position($1::uuid[], id) * interval '1 second') where id = any($1::uuid[])`,
    [aliceIds],
  );
  await repo.create(generation({ userId: bob, guildId: guildB }));
  await repo.transition(aliceIds[1]!, 'running');
  await repo.transition(aliceIds[3]!, 'cancelled');
});

async function list(qs: string): Promise<PageJson> {
  const res = await world.api.request(`/api/v1/generations?${qs}`);
  expect(res.status).toBe(200);
  return (await res.json()) as PageJson;
}

describe('/api/v1/generations', () => {
  test('keyset pages walk every row once, newest first', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: PageJson = await list(`userId=${alice}&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.items.map((g) => g.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual([...aliceIds].reverse());
  });

  test('filters by user, guild, status list and checkpoint', async () => {
    expect((await list(`guildId=${guildB}`)).items.map((g) => g.userId)).toEqual([bob]);
    expect((await list('status=running,cancelled')).items.map((g) => g.id).sort()).toEqual([aliceIds[1], aliceIds[3]].sort());
    expect((await list('status=queued&status=running')).items).toHaveLength(5);
    expect((await list('checkpoint=other.safetensors&status=queued')).items).toEqual([]);
    expect((await list(`checkpoint=other.safetensors&userId=${alice}`)).items.map((g) => g.id)).toEqual([aliceIds[3], aliceIds[1]]);
  });

  test('never returns the interaction token, in lists or alone; 64-bit seeds stay strings', async () => {
    const page = await list('limit=100');
    expect(page.items).toHaveLength(6);
    expect(page.items.every((g) => !('interactionToken' in g))).toBe(true);
    const res = await world.api.request(`/api/v1/generations/${aliceIds[0]}`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain('aW50ZXJhY3Rpb246');
    expect(JSON.parse(text)).toMatchObject({ id: aliceIds[0], seed: '18446744073709551615', prompt: 'alice 0' });
  });

  test('bad filters, cursors and ids are 400; an unknown id is 404', async () => {
    const bad = await world.api.request('/api/v1/generations?status=done&userId=abc&limit=0');
    expect(bad.status).toBe(400);
    expect(Object.keys((await errorOf(bad)).details as object).sort()).toEqual(['limit', 'status.0', 'userId']);
    const badCursor = await world.api.request('/api/v1/generations?cursor=not-a-cursor');
    expect(badCursor.status).toBe(400);
    expect(await errorOf(badCursor)).toMatchObject({ code: 'validation_failed', message: 'invalid page cursor' });
    expect((await world.api.request('/api/v1/generations/123')).status).toBe(400);
    const missing = await world.api.request(`/api/v1/generations/${randomUUID()}`);
    expect(missing.status).toBe(404);
    expect((await errorOf(missing)).code).toBe('not_found');
  });
});
