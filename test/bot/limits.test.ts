import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { MessageFlags } from 'discord-api-types/v10';
import { noLimits } from '#shared/limits/policy.ts';
import { startE2E, type E2E, type Played } from '../support/e2e.ts';

let e2e: E2E;
let clock = new Date('2026-12-01T12:00:30Z');
const unix = (iso: string) => new Date(iso).getTime() / 1000;

beforeAll(async () => {
  e2e = await startE2E({
    limits: { defaults: { ...noLimits, perMinute: 2, perDay: 20, maxBatch: 2, maxSteps: 40 }, maxWaiting: 0 },
    limitClock: () => clock,
    guildRoles: 2,
  });
});
afterAll(async () => {
  await e2e?.stop();
});
beforeEach(async () => {
  clock = new Date('2026-12-01T12:00:30Z');
  await e2e.db.pool.query('truncate limit_policy');
});

type Embed = { title?: string; description?: string; fields?: { name: string; value: string }[] };
const body = (p: Played) => p.response.data as { flags?: number; embeds?: Embed[]; custom_id?: string };
const ephemeral = (p: Played) => ((body(p).flags ?? 0) & MessageFlags.Ephemeral) === MessageFlags.Ephemeral;
const rowsOf = async (userId: string) => (await e2e.db.pool.query('select id from generation where user_id = $1', [userId])).rowCount;

describe('limits on /imagine', () => {
  test('over a window: an ephemeral message naming the limit, the numbers and when it frees up; no row', async () => {
    const player = e2e.playUser();
    for (const prompt of ['one', 'two']) expect(body(await player.imagine({ prompt })).embeds?.[0]?.title).toMatch(/^Queued/);
    const refused = await player.imagine({ prompt: 'three' });
    expect(refused.response.type).toBe(4);
    expect(ephemeral(refused)).toBe(true);
    expect(body(refused).embeds?.[0]?.description).toBe(
      `Limit reached: 2 images per minute. You have used 2 of 2 and this request needs 1. The count starts again <t:${unix('2026-12-01T12:01:00Z')}:R> (at <t:${unix('2026-12-01T12:01:00Z')}:t>).`,
    );
    expect(await rowsOf(player.user.id)).toBe(2);
    clock = new Date('2026-12-01T12:01:00Z');
    expect(body(await player.imagine({ prompt: 'four' })).embeds?.[0]?.title).toMatch(/^Queued/);
    expect(e2e.sim.violations).toEqual([]);
  });

  test('a role policy lifts the default for members who have the role; with two roles the more generous one counts', async () => {
    const [gold, silver] = e2e.guild.roleIds!;
    await e2e.db.pool.query(`insert into limit_policy (scope, guild_id, subject_id, per_minute) values ('role', $1, $2, 4), ('role', $1, $3, 3)`, [e2e.guild.id, gold, silver]);
    const both = e2e.playUser();
    const silverOnly = e2e.playUser();
    const none = e2e.playUser();
    for (let i = 0; i < 5; i++) await both.imagine({ prompt: `b${i}` }, { roles: [silver!, gold!] });
    for (let i = 0; i < 5; i++) await silverOnly.imagine({ prompt: `s${i}` }, { roles: [silver!] });
    for (let i = 0; i < 5; i++) await none.imagine({ prompt: `n${i}` });
    expect([await rowsOf(both.user.id), await rowsOf(silverOnly.user.id), await rowsOf(none.user.id)]).toEqual([4, 3, 2]);
  });

  test('batch and steps over the policy are refused before anything is queued, saying what to ask for', async () => {
    const player = e2e.playUser();
    const batch = await player.imagine({ prompt: 'x', batch: 3 });
    expect(ephemeral(batch)).toBe(true);
    expect(body(batch).embeds?.[0]?.description).toBe('`batch` 3 is over your limit of 2 images per request. Ask for 2 or fewer.');
    const steps = await player.imagine({ prompt: 'x', steps: 41 });
    expect(body(steps).embeds?.[0]?.description).toBe('`steps` 41 is over your limit of 40 steps. Use 40 or fewer.');
    const form = await player.imagine({ steps: 41 });
    expect(form.response.type).toBe(4);
    expect(body(form).embeds?.[0]?.description).toMatch(/^`steps` 41 is over your limit of 40/);
    expect(await rowsOf(player.user.id)).toBe(0);
    const usage = await e2e.db.pool.query('select 1 from user_usage where user_id = $1', [player.user.id]);
    expect(usage.rowCount).toBe(0);
  });

  test('a blocked member is told so, ephemerally, by /imagine and by the form; nothing is queued', async () => {
    const player = e2e.playUser();
    await e2e.db.pool.query(`insert into limit_policy (scope, subject_id, blocked) values ('user', $1, true)`, [player.user.id]);
    for (const attempt of [await player.imagine({ prompt: 'x' }), await player.imagine({})]) {
      expect(attempt.response.type).toBe(4);
      expect(ephemeral(attempt)).toBe(true);
      expect(body(attempt).embeds?.[0]?.description).toMatch(/^You may not generate images here/);
    }
    expect(await rowsOf(player.user.id)).toBe(0);
  });

  test('the form path is limited like the slash command', async () => {
    const player = e2e.playUser();
    await player.imagine({ prompt: 'one' });
    await player.imagine({ prompt: 'two' });
    const opened = await player.imagine({});
    expect(opened.response.type).toBe(9);
    const submitted = await player.submitModal(body(opened).custom_id!, { prompt: 'three', negative: '', loras: '' });
    expect(ephemeral(submitted)).toBe(true);
    expect(body(submitted).embeds?.[0]?.description).toMatch(/^Limit reached: 2 images per minute/);
    expect(await rowsOf(player.user.id)).toBe(2);
  });
});

describe('/quota', () => {
  test('shows, only to the member, what is left per window and when each resets, what is queued, and the per-request caps', async () => {
    const player = e2e.playUser();
    await player.imagine({ prompt: 'one' });
    const shown = await player.command('quota');
    expect(shown.response.type).toBe(4);
    expect(ephemeral(shown)).toBe(true);
    const embed = body(shown).embeds![0]!;
    expect(embed.title).toBe('Your limits here');
    expect(embed.description).toBe('You can ask for up to **1** image in one request now.');
    expect(embed.fields).toEqual([
      { name: 'Per minute', value: `**1** of 2 left\nresets <t:${unix('2026-12-01T12:01:00Z')}:R>`, inline: true },
      { name: 'Per hour', value: 'no cap\n1 used', inline: true },
      { name: 'Per day', value: `**19** of 20 left\nresets <t:${unix('2026-12-02T00:00:00Z')}:R>`, inline: true },
      { name: 'At once', value: '1 queued or running (no cap)', inline: true },
      { name: 'Per request', value: 'up to 2 images · up to 40 steps · any size', inline: false },
    ]);
    await player.imagine({ prompt: 'two' });
    const spent = body(await player.command('quota')).embeds![0]!;
    expect(spent.description).toBe(`You have used all your images per minute; more <t:${unix('2026-12-01T12:01:00Z')}:R>.`);
    expect(e2e.sim.violations).toEqual([]);
  });

  test('reflects the member\'s roles and says when they are blocked', async () => {
    const [gold] = e2e.guild.roleIds!;
    await e2e.db.pool.query(`insert into limit_policy (scope, guild_id, subject_id, per_minute, max_batch) values ('role', $1, $2, 10, 4)`, [e2e.guild.id, gold]);
    const player = e2e.playUser();
    const withRole = body(await player.command('quota', {}, { roles: [gold!] })).embeds![0]!;
    expect(withRole.fields?.[0]?.value).toMatch(/^\*\*10\*\* of 10 left/);
    expect(withRole.description).toBe('You can ask for up to **4** images in one request now.');
    await e2e.db.pool.query(`insert into limit_policy (scope, subject_id, blocked) values ('user', $1, true)`, [player.user.id]);
    expect(body(await player.command('quota', {}, { roles: [gold!] })).embeds![0]!.description).toMatch(/^You may not generate images here/);
  });
});
