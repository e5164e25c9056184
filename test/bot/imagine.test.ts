import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MessageFlags } from 'discord-api-types/v10';
import { startE2E, type E2E } from '../support/e2e.ts';

let e2e: E2E;

beforeAll(async () => {
  e2e = await startE2E();
});
afterAll(async () => {
  await e2e?.stop();
});

async function rowsFor(userId: string) {
  const { rows } = await e2e.db.pool.query(
    `select g.*, g.seed::text as seed_text, (select count(*)::int from pgboss.job j where j.name = 'generate' and j.data->>'generationId' = g.id::text) as jobs
     from generation g where user_id = $1 order by created_at`,
    [userId],
  );
  return rows;
}

type Embed = { title?: string; description?: string; fields?: { name: string; value: string }[] };
type Row = { components: { custom_id?: string; label?: string }[] };
const data = (r: { data?: unknown }) => r.data as { flags?: number; embeds?: Embed[]; components?: Row[]; custom_id?: string; choices?: { name: string; value: string }[] };

describe('/imagine', () => {
  test('replies with a Queued embed and a Cancel button; the row and its job are in Postgres', async () => {
    const player = e2e.playUser();
    const { response, ix, message } = await player.imagine({ prompt: 'a cat in a hat', steps: 30, seed: '18446744073709551615', size: '832x1216' });
    expect(response.type).toBe(4);
    const body = data(response);
    expect(body.flags ?? 0).toBe(0);
    expect(body.embeds?.[0]?.title).toBe('Queued — #1 in line');
    const cancelId = body.components?.[0]?.components[0]?.custom_id;
    expect(cancelId).toMatch(/^cancel:v1:[0-9a-f-]{36}$/);
    const rows = await rowsFor(player.user.id);
    expect(rows).toHaveLength(1);
    const row = rows[0];
    expect(row.jobs).toBe(1);
    expect(cancelId).toBe(`cancel:v1:${row.id}`);
    expect(row).toMatchObject({
      prompt: 'a cat in a hat', steps: 30, seed_text: '18446744073709551615', width: 832, height: 1216, checkpoint: 'sdxl_base.safetensors',
      interaction_id: ix.id, interaction_token: ix.token, guild_id: e2e.guild.id, channel_id: e2e.channel.id, status: 'queued',
    });
    expect(row.interaction_token_expires_at.getTime() - ix.createdAt).toBeGreaterThan(14 * 60_000);
    expect(message()?.embeds[0]?.title).toBe('Queued — #1 in line');
    // The reply did not ask Discord for its message (Discord answered 204 with no body): the id is asked
    // for only when the token nears its end undelivered (scheduler/jobs/keep-reply-ids.ts).
    const callback = e2e.sim.requests.find((r) => r.method === 'POST' && r.path === `/interactions/${ix.id}/${ix.token}/callback`);
    expect(callback).toMatchObject({ status: 204, query: {} });
    expect(message()?.id).toBeDefined();
    expect((await rowsFor(player.user.id))[0].message_id).toBeNull();
    expect(e2e.sim.violations).toEqual([]);
  });

  test('bad option values get an ephemeral message naming the option and range, and no row', async () => {
    const player = e2e.playUser();
    const cases: [Record<string, string | number>, RegExp][] = [
      [{ prompt: 'x', size: '1001x1000' }, /`size` must be WIDTHxHEIGHT, each a multiple of 8 from 256 to 2048/],
      [{ prompt: 'x', seed: '18446744073709551616' }, /`seed` must be a whole number from 0 to 18446744073709551615/],
      [{ prompt: 'x', sampler: 'warp_drive' }, /`sampler` must be one of ComfyUI's samplers/],
      [{ prompt: 'x', model: 'nope.safetensors' }, /`model`: there is no checkpoint called "nope.safetensors"/],
      [{ prompt: 'x', model: 'after_dark.safetensors' }, /only be used in age-restricted/],
      [{ prompt: 'x', lora: 'ghost' }, /`lora`: there is no LoRA called "ghost"/],
    ];
    for (const [options, expected] of cases) {
      const { response } = await player.imagine(options);
      expect(response.type).toBe(4);
      expect(data(response).flags! & MessageFlags.Ephemeral).toBe(MessageFlags.Ephemeral);
      expect(data(response).embeds?.[0]?.description).toMatch(expected);
    }
    expect(await rowsFor(player.user.id)).toHaveLength(0);
    expect(e2e.sim.violations).toEqual([]);
  });

  test('nsfw checkpoint and a LoRA are accepted in an nsfw channel', async () => {
    const player = e2e.playUser();
    const { response } = await player.imagine({ prompt: 'night city', model: 'after_dark.safetensors', lora: 'watercolor.safetensors' }, { channel: e2e.nsfwChannel });
    expect(data(response).embeds?.[0]?.title).toMatch(/^Queued/);
    const [row] = await rowsFor(player.user.id);
    expect(row).toMatchObject({ checkpoint: 'after_dark.safetensors', loras: [{ name: 'watercolor.safetensors', strengthModel: 0.8, strengthClip: 0.8 }] });
  });

  test('a thread follows its parent channel: nsfw models in threads of an nsfw channel only (flag read from the interaction and the parent)', async () => {
    const player = e2e.playUser();
    const nsfwThread = e2e.sim.addThread({ parent: e2e.nsfwChannel, name: 'late night' });
    const sfwThread = e2e.sim.addThread({ parent: e2e.channel, name: 'daytime' });
    const inNsfwThread = await player.imagine({ prompt: 'night city', model: 'after_dark.safetensors' }, { channel: nsfwThread });
    expect(data(inNsfwThread.response).embeds?.[0]?.title).toMatch(/^Queued/);
    const inSfwThread = await player.imagine({ prompt: 'night city', model: 'after_dark.safetensors' }, { channel: sfwThread });
    expect(data(inSfwThread.response).embeds?.[0]?.description).toMatch(/only be used in age-restricted/);
    const rows = await rowsFor(player.user.id);
    expect(rows.map((r) => [r.checkpoint, r.channel_id])).toEqual([['after_dark.safetensors', nsfwThread.id]]);
    expect(e2e.sim.violations).toEqual([]);
  });

  test('50 concurrent /imagine from 50 users are all acknowledged within 3 s: 50 rows, 50 jobs', async () => {
    const players = Array.from({ length: 50 }, () => e2e.playUser());
    const started = Date.now();
    const results = await Promise.all(players.map((p, i) => p.imagine({ prompt: `crowd ${i}` })));
    for (const { response, ix } of results) {
      expect(response.type).toBe(4);
      expect(response.at - ix.createdAt).toBeLessThan(3_000);
    }
    expect(Date.now() - started).toBeLessThan(10_000);
    const { rows } = await e2e.db.pool.query(
      `select count(*)::int as rows, count(j.id)::int as jobs from generation g
       left join pgboss.job j on j.name = 'generate' and j.data->>'generationId' = g.id::text where g.user_id = any($1)`,
      [players.map((p) => p.user.id)],
    );
    expect(rows[0]).toEqual({ rows: 50, jobs: 50 });
    // Every reply is on screen; none asked Discord for its message (see the test above).
    expect(results.every(({ ix }) => typeof ix.original()?.id === 'string')).toBe(true);
    const { rows: ids } = await e2e.db.pool.query('select message_id from generation where user_id = any($1)', [players.map((p) => p.user.id)]);
    expect(ids.map((r: { message_id: string | null }) => r.message_id)).toEqual(Array(50).fill(null));
    // Positions are counted per transaction snapshot, so concurrent requests may share one; all are in range.
    for (const r of results) expect(data(r.response).embeds![0]!.title).toMatch(/^Queued — #([1-9]|[1-9]\d) in line$/);
    expect(e2e.sim.violations).toEqual([]);
  });

  test('a 429 on the reply is retried transparently; the sim recorded it', async () => {
    e2e.sim.injectRateLimit({ route: '/interactions/{interaction_id}/{interaction_token}/callback', count: 1, retryAfterSeconds: 0.2 });
    const player = e2e.playUser();
    const { response } = await player.imagine({ prompt: 'patience' });
    expect(data(response).embeds?.[0]?.title).toMatch(/^Queued/);
    const limited = e2e.sim.requests.filter((r) => r.status === 429 && r.route.endsWith('/callback'));
    expect(limited.length).toBeGreaterThanOrEqual(1);
    expect(await rowsFor(player.user.id)).toHaveLength(1);
  });
});
