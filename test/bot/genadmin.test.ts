import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { MessageFlags, PermissionFlagsBits } from 'discord-api-types/v10';
import { DEFAULT_PERMISSIONS } from '#sim/discord/gateway-payloads.ts';
import { startE2E, type E2E, type Played, type Where } from '../support/e2e.ts';

let e2e: E2E;
beforeAll(async () => {
  e2e = await startE2E({ guildRoles: 2 });
});
afterAll(async () => {
  await e2e?.stop();
});
beforeEach(async () => {
  await e2e.db.pool.query('truncate limit_policy, audit_log, guild_settings, guild_blocklist, guild_model_disabled');
  await e2e.db.pool.query(`update model set allowed_roles = '[]'`);
});

type Embed = { title?: string; description?: string };
const body = (p: Played) => p.response.data as { flags?: number; content?: string; embeds?: Embed[]; choices?: { name: string; value: string }[] };
const ephemeral = (p: Played) => ((body(p).flags ?? 0) & MessageFlags.Ephemeral) === MessageFlags.Ephemeral;
const said = (p: Played) => body(p).content ?? body(p).embeds?.[0]?.description ?? '';
const queued = (p: Played) => /^Queued/.test(body(p).embeds?.[0]?.title ?? '');
const manager: Where = { permissions: BigInt(DEFAULT_PERMISSIONS) | PermissionFlagsBits.ManageGuild };
const rowsOf = async (userId: string) => (await e2e.db.pool.query('select id from generation where user_id = $1', [userId])).rowCount;
const audit = async () =>
  (await e2e.db.pool.query('select actor, action, entity, entity_id as "entityId", before, after from audit_log order by id')).rows;

const sub = (name: string, options: Record<string, string | number | boolean> = {}) => ({
  name, options: Object.entries(options).map(([n, value]) => ({ name: n, value })),
});
const group = (name: string, subName: string, options: Record<string, string | number | boolean> = {}) => [{ name, options: [sub(subName, options)] }];
const admin = (options: unknown[], who = e2e.playUser()) => who.command('genadmin', options, manager);

describe('/genadmin access', () => {
  test('registered for Manage Server only, and refused server-side to a member without it', async () => {
    const registered = e2e.sim.commands(e2e.guild.id).find((c) => (c as { name: string }).name === 'genadmin') as { default_member_permissions?: unknown };
    expect(String(registered.default_member_permissions)).toBe(String(PermissionFlagsBits.ManageGuild));
    const member = e2e.playUser();
    for (const options of [group('limits', 'view'), [sub('pause')], group('blocklist', 'add', { kind: 'word', pattern: 'x' })]) {
      const denied = await member.command('genadmin', options);
      expect(ephemeral(denied)).toBe(true);
      expect(said(denied)).toBe('You need the Manage Server permission to use `/genadmin`.');
    }
    expect(await audit()).toEqual([]);
    expect((await e2e.db.pool.query('select 1 from guild_settings where paused')).rowCount).toBe(0);
  });
});

describe('/genadmin limits', () => {
  test('set and view for the server and a role, each change audited with who, before and after', async () => {
    const mod = e2e.playUser();
    const [gold] = e2e.guild.roleIds!;
    const set = await admin(group('limits', 'set', { per_minute: 3, max_batch: 2 }), mod);
    expect(ephemeral(set)).toBe(true);
    expect(said(set)).toBe('Limits for this server changed (applies to the next request):\nper_minute: not set → **3**\nmax_batch: not set → **2**');
    await admin([{ name: 'limits', options: [{ name: 'set', options: [{ name: 'role', value: gold }, { name: 'per_minute', value: 10 }] }] }], mod);
    await admin(group('limits', 'set', { clear: 'max_batch', per_day: 0 }), mod);

    const viewed = said(await admin(group('limits', 'view'), mod));
    expect(viewed).toContain('**Limits for this server**\nper_minute: **3** (set here)\nper_hour: not set here (no cap applies)\nper_day: **no cap** (set here)');
    expect(viewed).toContain('max_batch: not set here (no cap applies)');
    expect(viewed).toContain('blocked: not set here (not blocked applies)');
    const roleView = said(await admin([{ name: 'limits', options: [{ name: 'view', options: [{ name: 'role', value: gold }] }] }], mod));
    // A role inherits the server's values it does not set itself.
    expect(roleView).toContain(`**Limits for <@&${gold}>**\nper_minute: **10** (set here)\nper_hour: not set here (no cap applies)\nper_day: not set here (no cap applies)`);

    const actor = `discord:${mod.user.id}`;
    const none = { perMinute: null, perHour: null, perDay: null, maxActive: null, maxBatch: null, maxSteps: null, maxPixels: null, blocked: null };
    expect(await audit()).toEqual([
      { actor, action: 'limits.set', entity: 'limit_policy', entityId: `guild:${e2e.guild.id}`, before: null, after: { ...none, perMinute: 3, maxBatch: 2 } },
      { actor, action: 'limits.set', entity: 'limit_policy', entityId: `role:${e2e.guild.id}:${gold}`, before: null, after: { ...none, perMinute: 10 } },
      { actor, action: 'limits.set', entity: 'limit_policy', entityId: `guild:${e2e.guild.id}`, before: { ...none, perMinute: 3, maxBatch: 2 }, after: { ...none, perMinute: 3, perDay: 0 } },
    ]);
    // The limiter uses them: 3 a minute for a plain member.
    const player = e2e.playUser();
    for (const prompt of ['a', 'b', 'c']) expect(queued(await player.imagine({ prompt }))).toBe(true);
    expect(said(await player.imagine({ prompt: 'd' }))).toMatch(/^Limit reached: 3 images per minute/);
  });
});

describe('/genadmin blocklist', () => {
  test('words and regexes refuse prompts and negative prompts whatever the case and accents; nothing is queued', async () => {
    const mod = e2e.playUser();
    expect(said(await admin(group('blocklist', 'add', { kind: 'word', pattern: 'Crème Brûlée' }), mod))).toMatch(/^Added word `Crème Brûlée`/);
    expect(said(await admin(group('blocklist', 'add', { kind: 'regex', pattern: 'g(o|ø)+re' }), mod))).toMatch(/^Added regex/);
    const player = e2e.playUser();
    const word = await player.imagine({ prompt: 'a CREME   brulee on a plate' });
    expect(ephemeral(word)).toBe(true);
    expect(said(word)).toBe('Your prompt contains "Crème Brûlée", which this server does not allow. Rephrase it and try again.');
    const neg = await player.imagine({ prompt: 'a plate', negative: 'GÖÖRE' });
    expect(said(neg)).toBe('Your negative prompt contains something this server does not allow. Rephrase it and try again.');
    expect(queued(await player.imagine({ prompt: 'a cremeux brulee-free dessert' }))).toBe(true);
    expect(await rowsOf(player.user.id)).toBe(1);

    const list = said(await admin(group('blocklist', 'list'), mod));
    expect(list).toBe('**Blocklist** (2 of 200; case and accents ignored):\nword: `Crème Brûlée`\nregex: `g(o|ø)+re`\n');
    expect(said(await admin(group('blocklist', 'add', { kind: 'word', pattern: '  Crème Brûlée ' }), mod))).toBe('word `Crème Brûlée` is already on the blocklist.');
    expect(said(await admin(group('blocklist', 'remove', { kind: 'word', pattern: 'Crème Brûlée' }), mod))).toBe('Removed word `Crème Brûlée` from the blocklist.');
    expect(queued(await player.imagine({ prompt: 'crème brûlée' }))).toBe(true);
    expect((await audit()).map((r) => [r.action, r.before, r.after])).toEqual([
      ['blocklist.add', null, { kind: 'word', pattern: 'Crème Brûlée' }],
      ['blocklist.add', null, { kind: 'regex', pattern: 'g(o|ø)+re' }],
      ['blocklist.add', { kind: 'word', pattern: 'Crème Brûlée' }, { kind: 'word', pattern: 'Crème Brûlée' }],
      ['blocklist.remove', { kind: 'word', pattern: 'Crème Brûlée' }, null],
    ]);
  });

  test('a pathological regex cannot stall the bot; one RE2 cannot run is refused when added', async () => {
    const mod = e2e.playUser();
    await admin(group('blocklist', 'add', { kind: 'regex', pattern: '^(a+)+$' }), mod);
    const player = e2e.playUser();
    // Catastrophic for a backtracking engine; RE2 answers in linear time and the request is queued.
    expect(queued(await player.imagine({ prompt: `${'a'.repeat(1990)}!` }))).toBe(true);
    expect(said(await player.imagine({ prompt: 'a'.repeat(1990) }))).toMatch(/^Your prompt contains something this server does not allow/);
    const refused = await admin(group('blocklist', 'add', { kind: 'regex', pattern: '(\\w+)\\s\\1' }), mod);
    expect(ephemeral(refused)).toBe(true);
    expect(said(refused)).toMatch(/^That regular expression cannot be used: /);
    expect((await e2e.db.pool.query('select pattern from guild_blocklist')).rows).toEqual([{ pattern: '^(a+)+$' }]);
  });
});

describe('/genadmin pause and resume', () => {
  test('while paused new requests (command and form) are told why; resume lets them in; both audited', async () => {
    const mod = e2e.playUser();
    expect(said(await admin([sub('pause', { reason: 'GPU maintenance until 18:00' })], mod))).toMatch(/^Generation is paused in this server\. New requests are refused with: GPU maintenance/);
    const player = e2e.playUser();
    for (const attempt of [await player.imagine({ prompt: 'a fox' }), await player.imagine({})]) {
      expect(attempt.response.type).toBe(4);
      expect(ephemeral(attempt)).toBe(true);
      expect(said(attempt)).toBe('Image generation is paused in this server by its moderators (GPU maintenance until 18:00). Requests already queued wait and start when it resumes.');
    }
    expect(await rowsOf(player.user.id)).toBe(0);
    expect(said(await admin([sub('resume')], mod))).toBe('Generation is resumed in this server.');
    expect(queued(await player.imagine({ prompt: 'a fox' }))).toBe(true);
    const actor = `discord:${mod.user.id}`;
    expect(await audit()).toEqual([
      { actor, action: 'guild.pause', entity: 'guild_settings', entityId: e2e.guild.id, before: { paused: false, pauseReason: null }, after: { paused: true, pauseReason: 'GPU maintenance until 18:00' } },
      { actor, action: 'guild.resume', entity: 'guild_settings', entityId: e2e.guild.id, before: { paused: true, pauseReason: 'GPU maintenance until 18:00' }, after: { paused: false, pauseReason: null, released: 0 } },
    ]);
  });
});

describe('models per guild and per role', () => {
  const choices = (p: Played) => (body(p).choices ?? []).map((c) => c.value);

  test('a model disabled in the guild is not offered and is refused at submit; enabling brings it back', async () => {
    const { checkpoint } = e2e.models!;
    const mod = e2e.playUser();
    expect(said(await admin(group('model', 'disable', { model: `#${checkpoint.id}` }), mod))).toBe('Checkpoint sdxl_base is off in this server: it is no longer offered, and requests naming it are refused.');
    const player = e2e.playUser();
    expect(choices(await player.autocomplete('model', ''))).not.toContain(checkpoint.fileName);
    const refused = await player.imagine({ prompt: 'x', model: checkpoint.fileName });
    expect(ephemeral(refused)).toBe(true);
    expect(said(refused)).toBe('`model`: sdxl_base is switched off in this server. Pick another from the list.');
    expect(await rowsOf(player.user.id)).toBe(0);
    await admin(group('model', 'enable', { model: checkpoint.fileName }), mod);
    expect(choices(await player.autocomplete('model', ''))).toContain(checkpoint.fileName);
    expect(queued(await player.imagine({ prompt: 'x', model: checkpoint.fileName }))).toBe(true);
    expect((await audit()).map((r) => [r.action, r.entityId, r.before, r.after])).toEqual([
      ['guild_model.disable', `${e2e.guild.id}:${checkpoint.id}`, { enabled: true }, { enabled: false }],
      ['guild_model.enable', `${e2e.guild.id}:${checkpoint.id}`, { enabled: false }, { enabled: true }],
    ]);
  });

  test('/genadmin model autocompletes checkpoints and LoRAs, marking those off here; nothing for non-managers', async () => {
    const { checkpoint } = e2e.models!;
    await admin(group('model', 'disable', { model: checkpoint.fileName }));
    const command = e2e.sim.commands(e2e.guild.id).find((c) => (c as { name: string }).name === 'genadmin') as { id: string };
    const ask = (where: Where) => {
      const ix = e2e.sim.sendRawInteraction({
        type: 4, user: e2e.sim.addUser(), guild: e2e.guild, channel: e2e.channel, memberPermissions: where.permissions?.toString(),
        data: { id: command.id, name: 'genadmin', type: 1, options: [{ type: 2, name: 'model', options: [{ type: 1, name: 'enable', options: [{ type: 3, name: 'model', value: 'a', focused: true }] }] }] },
      });
      return ix.waitForResponse();
    };
    const shown = ((await ask(manager)).data as { choices: { name: string; value: string }[] }).choices;
    expect(shown).toEqual(expect.arrayContaining([
      { name: 'checkpoint · after_dark', value: `#${e2e.models!.nsfwCheckpoint.id}` },
      { name: 'checkpoint · sdxl_base (off here)', value: `#${checkpoint.id}` },
      { name: 'LoRA · watercolor', value: `#${e2e.models!.lora.id}` },
    ]));
    expect(((await ask({})).data as { choices: unknown[] }).choices).toEqual([]);
    // The value offered is accepted back.
    expect(said(await admin(group('model', 'enable', { model: `#${checkpoint.id}` })))).toBe('Checkpoint sdxl_base is on again in this server.');
    expect(e2e.sim.violations).toEqual([]);
  });

  test('a model with allowed_roles is offered and accepted only for members with one of them (model and LoRA)', async () => {
    const { checkpoint, lora } = e2e.models!;
    const [gold, silver] = e2e.guild.roleIds!;
    await e2e.db.pool.query(`update model set allowed_roles = $1::jsonb where id = any($2::int[])`, [JSON.stringify([gold]), [checkpoint.id, lora.id]]);
    const player = e2e.playUser();
    expect(choices(await player.autocomplete('model', ''))).not.toContain(checkpoint.fileName);
    expect(choices(await player.autocomplete('model', '', {}, { roles: [silver!] }))).not.toContain(checkpoint.fileName);
    expect(choices(await player.autocomplete('model', '', {}, { roles: [silver!, gold!] }))).toContain(checkpoint.fileName);
    expect(choices(await player.autocomplete('lora', '', {}, { roles: [gold!] }))).toContain(lora.fileName);
    expect(choices(await player.autocomplete('lora', ''))).not.toContain(lora.fileName);

    expect(said(await player.imagine({ prompt: 'x', model: checkpoint.fileName }, { roles: [silver!] }))).toBe(
      '`model`: sdxl_base is only for members with certain roles in this server. Pick another from the list.',
    );
    // In the age-restricted channel the default checkpoint is the unrestricted nsfw one; the LoRA is refused.
    expect(said(await player.imagine({ prompt: 'x', lora: lora.fileName }, { roles: [silver!], channel: e2e.nsfwChannel }))).toBe(
      '`lora`: watercolor is only for members with certain roles in this server. Pick another from the list.',
    );
    expect(await rowsOf(player.user.id)).toBe(0);
    expect(queued(await player.imagine({ prompt: 'x', model: checkpoint.fileName, lora: lora.fileName }, { roles: [gold!] }))).toBe(true);
  });
});
