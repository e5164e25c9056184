import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { MessageFlags, PermissionFlagsBits, type AutocompleteInteraction, type ButtonInteraction, type ChatInputCommandInteraction } from 'discord.js';
import type { SimUser } from '#sim/discord/index.ts';
import { startHarness, type Harness } from './helpers.ts';

// The stand-in's playground routes with the real discord.js client as the bot: interactions sent as a chosen member,
// channel events streamed per member, and every odd request answered with a 4xx.

let h: Harness;
let base: string;
let bob: SimUser;
let morgan: SimUser;
beforeEach(async () => {
  h = await startHarness();
  bob = h.sim.addUser({ username: 'bob' });
  morgan = h.sim.addUser({ username: 'morgan' });
  h.sim.playground!.addMember(h.sim.defaultUser!);
  h.sim.playground!.addMember(bob);
  h.sim.playground!.addMember(morgan, { moderator: true });
  base = h.sim.playground!.url;
  await h.client.application!.commands.set(
    [{
      name: 'admin', description: 'a', options: [
        { type: 1, name: 'find', description: 'f', options: [{ type: 3, name: 'model', description: 'm', autocomplete: true }] },
      ],
    }, { name: 'echo', description: 'e', options: [{ type: 3, name: 'text', description: 't' }] }],
    h.sim.defaultGuild!.id,
  );
});
afterEach(() => h.close());

const post = (body: unknown) => fetch(`${base}api/interactions`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });

/** Reads a member's event stream until `stop()`; events are `{ event, data }`. */
function listen(memberId: string) {
  const controller = new AbortController();
  const events: { event: string; data: unknown }[] = [];
  const done = (async () => {
    const res = await fetch(`${base}api/events?member=${memberId}`, { signal: controller.signal });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    let buffer = '';
    for await (const chunk of res.body!.pipeThrough(new TextDecoderStream())) {
      buffer += chunk;
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data) events.push({ event, data: JSON.parse(data) });
      }
    }
  })().catch(() => {});
  return { events, stop: () => (controller.abort(), done) };
}

describe('sim/discord playground routes', () => {
  test('a command as a chosen member reaches the bot with that member; replies, edits and deletes stream to those who may see them', async () => {
    const alice = listen(h.sim.defaultUser!.id);
    const bobs = listen(bob.id);
    await expect.poll(() => alice.events.map((e) => e.event)).toEqual(['snapshot']);
    await expect.poll(() => bobs.events.length).toBe(1);

    const next = new Promise<ChatInputCommandInteraction>((resolve) => h.client.once('interactionCreate', (i) => resolve(i as ChatInputCommandInteraction)));
    const sent = post({ kind: 'command', member: morgan.id, name: 'echo', options: [{ name: 'text', value: 'hi' }] });
    const interaction = await next;
    expect(interaction.user.id).toBe(morgan.id);
    expect(interaction.memberPermissions!.has([PermissionFlagsBits.ManageGuild, PermissionFlagsBits.ManageMessages])).toBe(true);
    expect(interaction.options.getString('text')).toBe('hi');
    await interaction.reply({ content: 'public reply', components: [{ type: 1, components: [{ type: 2, style: 2, custom_id: 'again', label: 'Again' }] }] });
    const answer = (await (await sent).json()) as { response: { type: number; data: { content: string } } };
    expect(answer.response).toMatchObject({ type: 4, data: { content: 'public reply' } });
    await expect.poll(() => alice.events.filter((e) => e.event === 'message').map((e) => (e.data as { content: string }).content)).toEqual(['public reply']);

    // A button press by bob; the bot answers him alone, then edits and deletes its first reply.
    const reply = await interaction.fetchReply();
    const pressed = new Promise<ButtonInteraction>((resolve) => h.client.once('interactionCreate', (i) => resolve(i as ButtonInteraction)));
    const press = post({ kind: 'component', member: bob.id, messageId: reply.id, customId: 'again' });
    const button = await pressed;
    expect(button.user.id).toBe(bob.id);
    expect(button.memberPermissions!.any([PermissionFlagsBits.ManageGuild, PermissionFlagsBits.ManageMessages])).toBe(false);
    await button.reply({ content: 'just for bob', flags: MessageFlags.Ephemeral });
    await press;
    await interaction.editReply({ content: 'edited reply' });
    await interaction.deleteReply();
    await expect.poll(() => bobs.events.map((e) => e.event)).toEqual(['snapshot', 'message', 'message', 'message', 'delete']);
    expect(bobs.events.map((e) => (e.data as { content?: string }).content)).toEqual([undefined, 'public reply', 'just for bob', 'edited reply', undefined]);
    expect(alice.events.map((e) => e.event)).toEqual(['snapshot', 'message', 'message', 'delete']);
    await Promise.all([alice.stop(), bobs.stop()]);

    // A later stream starts from the channel as it is now, with only what this member may see.
    const late = listen(bob.id);
    await expect.poll(() => late.events.length).toBe(1);
    expect((late.events[0]!.data as { content: string }[]).map((m) => m.content)).toEqual(['just for bob']);
    await late.stop();
  });

  test('autocomplete inside a subcommand answers the sender with the choices; no answer in time is reported as null', async () => {
    h.client.once('interactionCreate', (i) => {
      const ac = i as AutocompleteInteraction;
      void ac.respond([{ name: `${ac.options.getSubcommand()}:${ac.options.getFocused()}`, value: 'x' }]);
    });
    const res = await post({ kind: 'autocomplete', member: bob.id, name: 'admin', options: [{ name: 'find', options: [{ name: 'model', value: 'dre' }] }], focused: 'model' });
    expect(await res.json()).toMatchObject({ response: { type: 8, data: { choices: [{ name: 'find:dre', value: 'x' }] } } });

    const silent = await post({ kind: 'command', member: bob.id, name: 'echo', options: [] });
    expect(await silent.json()).toMatchObject({ response: null });
  });

  test('odd requests get a 4xx in the stand-in error shape, never a 500', async () => {
    const error = async (res: Response, status: number, message: RegExp) => {
      expect(res.status).toBe(status);
      expect(await res.json()).toEqual({ message: expect.stringMatching(message), code: 0 });
    };
    await error(await post('{not json'), 400, /not JSON/);
    await error(await post({ kind: 'shout', member: bob.id }), 400, /^kind:/);
    await error(await post({ kind: 'command', member: 'x', name: 'echo' }), 400, /^member: expected a snowflake/);
    await error(await post({ kind: 'command', member: '123', name: 'echo' }), 400, /^member: not one of/);
    await error(await post({ kind: 'command', member: bob.id, name: 'nope' }), 400, /"nope" is not registered/);
    await error(await post({ kind: 'component', member: bob.id, messageId: '1', customId: 'again' }), 404, /^messageId: no message 1/);
    await error(await post({ kind: 'command', member: bob.id, name: 'echo', options: [{ name: 'text', value: 'x'.repeat(70_000) }] }), 413, /over/);
    const modal = { kind: 'modal', member: bob.id, customId: 'form', fields: {} };
    await error(await post({ ...modal, files: { image: { filename: 'a.png', base64: 'not base64!' } } }), 400, /^files\.image\.base64:/);
    await error(await fetch(`${base}api/interactions`), 405, /no such playground route/);
    await error(await fetch(`${base}api/nothing`), 404, /no such playground route/);
    await error(await fetch(`${base}api/events`), 400, /^member:/);
    await error(await fetch(`${base}..%2f..%2fpackage.json`), 404, /not found/);
    await error(await fetch(`${base}sub/index.html`), 404, /not found/);
  });

  test('the page and its modules are served with a Content-Security-Policy; /playground redirects to it', async () => {
    const page = await fetch(base);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await page.text()).toContain('<script type="module" src="app.js"></script>');
    const module = await fetch(`${base}render.js`);
    expect(module.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const bare = await fetch(base.slice(0, -1), { redirect: 'manual' });
    expect(bare.status).toBe(308);
    expect(bare.headers.get('location')).toBe('/playground/');
  });
});
