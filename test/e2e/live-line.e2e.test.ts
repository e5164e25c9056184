import { MessageFlags } from 'discord-api-types/v10';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { noLimits } from '#shared/limits/policy.ts';
import type { RecordedResponse, SimMessage } from '#sim/discord/index.ts';
import { startE2E, type E2E, type Played, type Player } from '../support/e2e.ts';
import { startSchedulerHarness, type SchedulerHarness } from '../support/scheduler-harness.ts';

// The live place in line, /queue and /models: the real bot and scheduler against sim/discord,
// sim/comfyui (one slow instance taking one prompt at a time) and a real database.

let e2e: E2E;
let scheduler: SchedulerHarness;

beforeAll(async () => {
  // sim/discord answers a message's 6th edit within 5 s with a 429, as Discord does.
  e2e = await startE2E({ discord: { messageEditLimit: { count: 5, perMs: 5000 } }, comfy: true, limits: { defaults: noLimits, maxWaiting: 0 }, guildRoles: 1 });
  e2e.comfy!.setSecondsPerStep(0.06);
  scheduler = await startSchedulerHarness({ tdb: e2e.db, discord: e2e.sim, comfyUrls: [e2e.comfy!.url] });
  // One prompt at a time on the one instance, so the line is the scheduler's, not ComfyUI's.
  await e2e.db.pool.query('update comfy_instance set max_queue_depth = 1');
  // Every claim of a live edit, by the database clock that decides the spacing (this test's own database).
  await e2e.db.pool.query(`
    create table test_live_edit_claim (generation_id uuid not null, at timestamptz not null);
    create function test_log_live_edit() returns trigger language plpgsql as $$
      begin insert into test_live_edit_claim values (new.id, new.live_edited_at); return new; end $$;
    create trigger test_live_edit_claim after update of live_edited_at on generation for each row
      when (new.live_edited_at is distinct from old.live_edited_at) execute function test_log_live_edit();`);
});
afterAll(async () => {
  await scheduler?.stop();
  await e2e?.stop();
});

const title = (m: { embeds?: unknown[] } | undefined) => (m?.embeds?.[0] as { title?: string } | undefined)?.title ?? '';
const field = (m: { embeds?: unknown[] } | undefined, name: string) =>
  ((m?.embeds?.[0] as { fields?: { name: string; value: string }[] } | undefined)?.fields ?? []).find((f) => f.name === name)?.value;
const generationIdOf = (m: SimMessage) => /Generation ([0-9a-f-]{36})/.exec(JSON.stringify(m.embeds))![1]!;
const data = (r: RecordedResponse) => r.data as { flags?: number; embeds?: { title?: string; description?: string; fields?: { name: string; value: string }[] }[]; components?: { components: { custom_id: string; label: string }[] }[] };

async function imagine(player: Player, prompt: string, steps: number): Promise<{ played: Played; id: string }> {
  const played = await player.imagine({ prompt, steps, size: '512x512' });
  return { played, id: generationIdOf(played.message()!) };
}

/** The title the bot's reply first showed (the message itself is soon edited as the line moves). A deferred reply shows it in its first edit. */
function firstShown(played: Played): string {
  const body = played.response.data as { embeds?: unknown[] } | undefined;
  return title(body?.embeds ? body : (editsOf(played)[0]?.body as { embeds?: unknown[] } | undefined));
}

/** Every edit of one reply the scheduler sent through the interaction token, with when it answered. */
function editsOf(played: Played) {
  const token = played.ix.token;
  return e2e.sim.requests.filter((r) => r.method === 'PATCH' && r.path.includes(`/${token}/messages/@original`));
}

describe('live place in line', () => {
  test('three members on one slow instance: places in fair order, ETAs, updated as the line moves; edits spaced, no 429', { timeout: 60_000 }, async () => {
    // A first run measures the instance's seconds per step (ETAs need it).
    const warm = e2e.playUser();
    const first = await imagine(warm, 'warm up', 4);
    await scheduler.waitFor(first.id, ['succeeded'], { delivered: true });
    const { rows } = await e2e.db.pool.query<{ sps: number | null }>('select avg_seconds_per_step as sps from comfy_instance');
    expect(rows[0]!.sps).toBeGreaterThan(0);

    e2e.comfy!.pause();
    const heavy = e2e.playUser();
    const b = e2e.playUser();
    const c = e2e.playUser();
    const h1 = await imagine(heavy, 'heavy one', 20);
    await scheduler.waitFor(h1.id, ['running']);
    const h2 = await imagine(heavy, 'heavy two', 20);
    const h3 = await imagine(heavy, 'heavy three', 20);
    // B runs longest (6 s), so C's "#1" is shown even on a loaded machine: the line-update (debounced
    // 1 s), the deliver worker's poll and the 1.5 s edit spacing must all fit while B runs.
    const bb = await imagine(b, 'bee <@123> **bold**', 100);
    const cc = await imagine(c, 'sea', 20);
    // Fair order: each member's first request before the heavy member's second and third, however
    // late they came, and the reply the bot gave at once (a count of everyone waiting) corrected.
    expect(firstShown(h3.played)).toBe('Queued — #2 in line');
    await expect.poll(() => [bb, cc, h2, h3].map((x) => title(x.played.message())), { timeout: 10_000 }).toEqual([
      'Queued — #1 in line', 'Queued — #2 in line', 'Queued — #3 in line', 'Queued — #4 in line',
    ]);
    const etaOf = (x: { played: Played }) => field(x.played.message(), 'Ready in') ?? '';
    for (const x of [bb, cc, h2, h3]) expect(etaOf(x)).toMatch(/^about \d+ (s|min)$/);

    // /queue shows the heavy member's own two waiting ones behind the others' singles, and the running one.
    const shown = data((await heavy.command('queue')).response);
    expect((shown.flags ?? 0) & MessageFlags.Ephemeral).toBeTruthy();
    const fields = shown.embeds![0]!.fields!.map((f) => f.name);
    expect(fields[0]).toMatch(/^1\. ⏳ generating — \d+%/);
    expect(fields[1]).toMatch(/^2\. 🕒 #3 in line · ready in about \d+ (s|min)$/);
    expect(fields[2]).toMatch(/^3\. 🕒 #4 in line · ready in about \d+ (s|min)$/);
    expect(shown.components!.flatMap((r) => r.components.map((x) => x.label))).toEqual(['Cancel 1', 'Cancel 2', 'Cancel 3']);
    // Prompts are shown inert: no live mention, markdown escaped.
    const bQueue = data((await b.command('queue')).response).embeds![0]!.fields![0]!;
    expect(bQueue.value).toContain('<\u200b@123>');
    expect(bQueue.value).toContain('\\*\\*bold\\*\\*');

    // The line moves: h1 runs (progress bar) and ends, then B, then C...
    e2e.comfy!.resume();
    for (const x of [h1, h2, h3, bb, cc]) await scheduler.waitFor(x.id, ['succeeded'], { delivered: true, timeoutMs: 30_000 });

    // C's reply, edit by edit: #2, then #1 once the heavy member's first ended and B started, with a
    // shrinking ETA; then (if an edit fell due while its 1.2 s run lasted) the progress bar; then the result.
    const shownToC = editsOf(cc.played).map((r) => r.body as { embeds?: { title?: string; description?: string; fields?: { name: string; value: string }[] }[] });
    const titles = shownToC.map((b) => b.embeds?.[0]?.title ?? '');
    const distinct = titles.map((t) => t.replace(/\d+%/, 'N%')).filter((t, i, all) => t !== all[i - 1]);
    expect(distinct.slice(0, 2)).toEqual(['Queued — #2 in line', 'Queued — #1 in line']);
    expect(distinct.slice(2, -1).every((t) => t === '⏳ Generating — N%'), distinct.join(' → ')).toBe(true);
    expect(distinct.at(-1)).toBe('🎨 sea');
    // B ran 6 s: long enough for its reply to show the progress bar whatever the timing.
    const shownToB = editsOf(bb.played).map((r) => r.body as { embeds?: { title?: string; description?: string }[] });
    expect(shownToB.find((b) => b.embeds?.[0]?.title?.startsWith('⏳'))!.embeds![0]!.description).toMatch(/^[█░]{20}/);
    const seconds = (eta: string) => Number(/about (\d+) (s|min)/.exec(eta)![1]) * (eta.endsWith('min') ? 60 : 1);
    const etas = shownToC.map((b) => b.embeds?.[0]?.fields?.find((f) => f.name === 'Ready in')?.value).filter((v): v is string => Boolean(v)).map(seconds);
    expect(etas.length).toBeGreaterThanOrEqual(2);
    expect(etas.at(-1)!).toBeLessThan(etas[0]!);

    // Coalesced: no message edited twice within 1.5 s except by its final result, and Discord never
    // answered 429. The spacing is decided when an edit is claimed (by the database clock); when each
    // arrives also depends on how busy the machine is, so it is checked where it is decided, and
    // every live edit Discord saw must have been claimed.
    for (const x of [h1, h2, h3, bb, cc]) {
      const live = editsOf(x.played).filter((r) => !((r.body as { attachments?: unknown[] }).attachments ?? []).length && !(r.files ?? []).length);
      const claims = (await e2e.db.pool.query<{ gapMs: number | null }>(
        `select (extract(epoch from at - lag(at) over (order by at)) * 1000)::float8 as "gapMs" from test_live_edit_claim where generation_id = $1 order by at`, [x.id])).rows;
      expect(live.length, `edits of ${x.id}`).toBeLessThanOrEqual(claims.length);
      for (const { gapMs } of claims.slice(1)) expect(gapMs, `claims of ${x.id}`).toBeGreaterThanOrEqual(1499); // the column keeps milliseconds
    }
    expect(e2e.sim.requests.filter((r) => r.status === 429)).toEqual([]);
    expect(e2e.sim.violations).toEqual([]);
  });

  test('/queue is empty when nothing waits; its Cancel button cancels the waiting request', { timeout: 30_000 }, async () => {
    const member = e2e.playUser();
    expect(data((await member.command('queue')).response).embeds![0]!.description).toMatch(/^Nothing waiting or running/);

    e2e.comfy!.pause();
    try {
      const blocker = await imagine(e2e.playUser(), 'blocker', 10);
      await scheduler.waitFor(blocker.id, ['running']);
      const mine = await imagine(member, 'mine', 10);
      const listed = await member.command('queue');
      const cancel = data(listed.response).components![0]!.components[0]!;
      expect(cancel.label).toBe('Cancel 1');
      const pressed = await member.click(listed.message()!, cancel.custom_id);
      expect(title(data(pressed.response) as never) || title(pressed.message())).toMatch(/Cancel/);
      await scheduler.waitFor(mine.id, ['cancelled'], { delivered: true });
      await expect.poll(() => title(mine.played.message())).toBe('🚫 Cancelled');
    } finally {
      e2e.comfy!.resume();
    }
  });
});

describe('/models', () => {
  test('lists what this member may use here, with base family and trigger words; nsfw only in the age-restricted channel', async () => {
    const role = e2e.guild.roleIds![0]!;
    await e2e.db.pool.query(`update model set trigger_words = '["wtrclr", "soft *wash*"]'::jsonb where file_name = 'watercolor.safetensors'`);
    await e2e.db.pool.query(
      `insert into model (kind, file_name, display_name, base_family, enabled, available, source, allowed_roles)
       values ('lora', 'secret.safetensors', 'secret', 'sdxl', true, true, 'manual', $1::jsonb)`,
      [JSON.stringify([role])],
    );
    const member = e2e.playUser();
    const here = data((await member.command('models')).response);
    expect((here.flags ?? 0) & MessageFlags.Ephemeral).toBeTruthy();
    const [checkpoints, loras] = here.embeds!.map((e) => ({ ...e, description: e.description?.replace(/\\(.)/g, '$1') }));
    expect(checkpoints!.title).toBe('Checkpoints (1)');
    expect(checkpoints!.description).toContain('sdxl_base');
    expect(checkpoints!.description).not.toContain('after_dark');
    expect(loras!.title).toBe('LoRAs (1)');
    expect(loras!.description).toContain('watercolor');
    expect(loras!.description).toContain('sdxl');
    expect(loras!.description).toContain('`wtrclr`, `soft *wash*`');
    expect(loras!.description).not.toContain('secret');

    const afterDark = data((await member.command('models', {}, { channel: e2e.nsfwChannel })).response).embeds![0]!;
    expect(afterDark.title).toBe('Checkpoints (2)');
    expect(afterDark.description).toContain('🔞');
    const withRole = data((await member.command('models', {}, { roles: [role] })).response).embeds![1]!;
    expect(withRole.description).toContain('secret');
  });
});
