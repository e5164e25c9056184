import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MessageFlags } from 'discord-api-types/v10';
import type { RawInteractionOptions, SentInteraction } from '#sim/discord/index.ts';
import { unreadableMessage, unsupportedMessage } from '#bot/respond/answer-unread.ts';
import { staleInputMessage } from '#bot/respond/discord-input-error.ts';
import { LogTap } from '../comfyui/log-tap.ts';
import { startE2E, type E2E } from '../support/e2e.ts';

let e2e: E2E;
const tap = new LogTap();

beforeAll(async () => {
  e2e = await startE2E({ logger: tap.logger });
});
afterAll(async () => {
  await e2e?.stop();
});

type Body = { flags?: number; embeds?: { description?: string }[]; choices?: unknown[]; custom_id?: string };
const body = (r: { data?: unknown }) => (r.data ?? {}) as Body;

function send(opts: Omit<RawInteractionOptions, 'user' | 'guild' | 'channel'>): SentInteraction {
  return e2e.sim.sendRawInteraction({ user: e2e.sim.addUser(), guild: e2e.guild, channel: e2e.channel, ...opts });
}

function imagineData(extra: Record<string, unknown> = {}) {
  const command = e2e.sim.commands(e2e.guild.id).find((c) => (c as { name: string }).name === 'imagine') as { id: string };
  return { id: command.id, name: 'imagine', type: 1, guild_id: e2e.guild.id, ...extra };
}

async function expectEphemeral(ix: SentInteraction, text: string | RegExp): Promise<void> {
  const response = await ix.waitForResponse();
  expect(response.type).toBe(4);
  expect(body(response).flags! & MessageFlags.Ephemeral).toBe(MessageFlags.Ephemeral);
  const description = body(response).embeds?.[0]?.description ?? '';
  if (typeof text === 'string') expect(description).toBe(text);
  else expect(description).toMatch(text);
}

/** A normal /imagine from a new member still gets its Queued reply. */
async function stillAnswers(): Promise<void> {
  const { response } = await e2e.playUser().imagine({ prompt: 'a lighthouse after the storm' });
  expect(body(response).embeds?.[0]).toMatchObject({ title: expect.stringMatching(/^Queued/) });
}

const logFor = (ix: SentInteraction, msg: string) =>
  tap.lines.find((l) => l.msg === msg && ((l.interaction as { id?: string } | undefined)?.id === ix.id || l.interactionId === ix.id));

describe('payloads discord.js cannot read: logged with context, answered ephemerally, bot carries on', () => {
  // Payloads are built inside the test: the command id exists only once the bot registered it.
  test.each<[string, () => Omit<RawInteractionOptions, 'user' | 'guild' | 'channel'>, string]>([
    ['a command without data', () => ({ type: 2 }), 'data'],
    ['a command without member or user', () => ({ type: 2, data: imagineData(), mutate: (p) => void delete p.member }), 'member.user'],
    ['a command whose options are not a list', () => ({ type: 2, data: imagineData({ options: 'prompt=a cat' }) }), 'data.options (not a list)'],
    ['a component without data', () => ({ type: 3 }), 'data'],
    ['a modal submit without components', () => ({ type: 5, data: { custom_id: 'imagine:v1:' } }), 'data.components'],
  ])('%s', async (_name, build, missing) => {
    const opts = build();
    const ix = send(opts);
    await expectEphemeral(ix, unreadableMessage);
    const line = logFor(ix, 'discord.js could not read an interaction');
    expect(line).toBeDefined();
    expect(line!.level).toBe('warn');
    expect(line!.err).toMatchObject({ type: 'TypeError' });
    expect(line!.interaction).toMatchObject({ id: ix.id, type: opts.type, guildId: e2e.guild.id, missing: expect.arrayContaining([missing]) });
    expect(JSON.stringify(line)).not.toContain(ix.token);
    await stillAnswers();
  });

  test('an autocomplete without data gets no choices (its only valid answer)', async () => {
    const ix = send({ type: 4 });
    const response = await ix.waitForResponse();
    expect(response).toMatchObject({ type: 8, data: { choices: [] } });
    expect(logFor(ix, 'discord.js could not read an interaction')).toBeDefined();
    await stillAnswers();
  });

  test('an unknown interaction type is logged and left unanswered (no callback is valid for it)', async () => {
    const ix = send({ type: 42, data: imagineData() });
    await stillAnswers();
    // discord.js handles gateway packets in order, so the odd one was seen before /imagine was answered.
    expect(logFor(ix, 'interaction of a kind this bot does not handle')).toMatchObject({ interaction: { id: ix.id, type: 42 } });
    expect(e2e.sim.requests.filter((r) => r.path.includes(`/interactions/${ix.id}/`))).toEqual([]);
  });

  test('an unknown command type (discord.js drops it) gets an ephemeral "not handled"', async () => {
    const ix = send({ type: 2, data: imagineData({ type: 9 }) });
    await expectEphemeral(ix, unsupportedMessage);
    expect(logFor(ix, 'interaction of a kind this bot does not handle')).toMatchObject({ interaction: { commandType: 9 } });
    await stillAnswers();
  });
});

describe('payloads discord.js reads but that make no sense to the bot', () => {
  test('no options at all: /imagine opens its form (every option is optional)', async () => {
    const ix = send({ type: 2, data: imagineData() });
    expect((await ix.waitForResponse()).type).toBe(9);
  });

  test('an option of the wrong type gets the stale-command message', async () => {
    const ix = send({ type: 2, data: imagineData({ options: [{ name: 'prompt', type: 4, value: 5 }] }) });
    await expectEphemeral(ix, staleInputMessage);
    expect(tap.lines.find((l) => l.interactionId === ix.id && l.msg === staleInputMessage)).toMatchObject({ details: { discordjs: 'CommandInteractionOptionType' } });
    await stillAnswers();
  });

  test('an unknown command name', async () => {
    const ix = send({ type: 2, data: imagineData({ name: 'explode' }) });
    await expectEphemeral(ix, 'That command is not available any more.');
    await stillAnswers();
  });

  test('an unknown component custom_id, and a huge emoji one (logged cut to whole characters)', async () => {
    const { message } = await e2e.playUser().imagine({ prompt: 'a boat' });
    const unknown = send({ type: 3, data: { component_type: 2, custom_id: 'boom:v1:x' }, message: message()! });
    await expectEphemeral(unknown, /not one of ours or is out of date/);
    const huge = send({ type: 3, data: { component_type: 2, custom_id: `cancel:v1:${'😀'.repeat(2500)}` }, message: message()! });
    await expectEphemeral(huge, /not one of ours or is out of date/);
    const line = tap.lines.find((l) => l.interactionId === huge.id && l.code === 'custom_id_tampered');
    const logged = (line?.details as { customId: string }).customId;
    expect(logged.length).toBeLessThanOrEqual(120);
    expect(logged.isWellFormed()).toBe(true);
    await stillAnswers();
  });

  test('a modal submit whose label holds no input: the prompt counts as missing', async () => {
    const ix = send({ type: 5, data: { custom_id: 'imagine:v1:', components: [{ type: 18, id: 1 }] } });
    await expectEphemeral(ix, /`prompt` must be 1 to 2000 characters/);
    await stillAnswers();
  });

  test('a database failure inside the handler: generic answer, logged as an error, next /imagine fine', async () => {
    await e2e.db.pool.query('alter table model rename to model_away');
    try {
      const { ix, response } = await e2e.playUser().imagine({ prompt: 'a cat' });
      expect(body(response).embeds?.[0]?.description).toMatch(/Something went wrong on our side/);
      expect(tap.lines.find((l) => l.interactionId === ix.id && l.msg === 'interaction failed')).toMatchObject({ level: 'error' });
    } finally {
      await e2e.db.pool.query('alter table model_away rename to model');
    }
    await stillAnswers();
  });

  test('no violations: every answer the bot sent was one Discord accepts', () => {
    expect(e2e.sim.violations).toEqual([]);
  });
});

describe('control characters name the field', () => {
  test('NUL in the prompt option', async () => {
    const { response } = await e2e.playUser().imagine({ prompt: 'a cat\u0000 in a hat' });
    expect(body(response).flags! & MessageFlags.Ephemeral).toBe(MessageFlags.Ephemeral);
    expect(body(response).embeds?.[0]?.description).toBe('`prompt` contains a control character (U+0000) that cannot be used; remove it and try again.');
  });

  test('an escape character in the modal\'s negative prompt field', async () => {
    const player = e2e.playUser();
    const { response: form } = await player.imagine({ steps: 20 });
    expect(form.type).toBe(9);
    const customId = body(form).custom_id!;
    const { response } = await player.submitModal(customId, { prompt: 'a cat', negative: 'blurry\u001b[0m', loras: '' });
    expect(body(response).flags! & MessageFlags.Ephemeral).toBe(MessageFlags.Ephemeral);
    expect(body(response).embeds?.[0]?.description).toBe('`negative` contains a control character (U+001B) that cannot be used; remove it and try again.');
    const { rows } = await e2e.db.pool.query('select count(*)::int as n from generation where user_id = $1', [player.user.id]);
    expect(rows[0].n).toBe(0);
  });
});
