import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import {
  ActionRowBuilder, AttachmentBuilder, ButtonBuilder, ButtonStyle, DiscordAPIError, EmbedBuilder, LabelBuilder, MessageFlags,
  ModalBuilder, TextInputBuilder, TextInputStyle, type ChatInputCommandInteraction,
} from 'discord.js';
import { ACK_DEADLINE_MS, TOKEN_LIFETIME_MS } from '#sim/discord/index.ts';
import { PNG_1x1, startHarness, type Harness } from './helpers.ts';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
  await h.client.application!.commands.set(
    [{ name: 'imagine', description: 'Generate', options: [{ type: 3, name: 'prompt', description: 'p', required: true, autocomplete: true }, { type: 11, name: 'init_image', description: 'i' }] }],
    h.sim.defaultGuild!.id,
  );
});
afterEach(() => h.close());

async function command(options: unknown[] = [{ name: 'prompt', value: 'a cat' }]) {
  const next = h.nextInteraction();
  const sent = h.sim.sendCommand({ user: h.sim.defaultUser!, guild: h.sim.defaultGuild!, name: 'imagine', options });
  const interaction = (await next) as ChatInputCommandInteraction;
  return { sent, interaction };
}

const regenRow = (id = 'regen:v1:8f3a') => new ActionRowBuilder<ButtonBuilder>().addComponents(new ButtonBuilder().setCustomId(id).setLabel('Regenerate').setStyle(ButtonStyle.Primary));

describe('NOTES §2 interaction payloads and the REST calls the bot makes', () => {
  test('§2.1 INTERACTION_CREATE type 2 reaches discord.js with channel, member and options', async () => {
    const { interaction } = await command();
    expect(interaction.isChatInputCommand()).toBe(true);
    expect(interaction.channelId).toBe(h.sim.defaultGuild!.channels[0]!.id);
    expect(interaction.user.id).toBe(h.sim.defaultUser!.id);
    expect(interaction.options.getString('prompt')).toBe('a cat');
  });

  test('§2.2 reply({embeds, components}) is recorded, validated and becomes the @original message', async () => {
    const { sent, interaction } = await command();
    await interaction.reply({ embeds: [new EmbedBuilder().setTitle('Queued').setDescription('a cat')], components: [regenRow()] });
    const response = await sent.waitForResponse();
    expect(response.type).toBe(4);
    const original = sent.original()!;
    expect(original.embeds[0]?.title).toBe('Queued');
    expect(original.components?.[0]).toMatchObject({ type: 1, components: [{ custom_id: 'regen:v1:8f3a' }] });
    expect(h.sim.messages(original.channel_id).map((m) => m.id)).toContain(original.id);
    expect(h.sim.violations).toEqual([]);
  });

  test('§2.2 deferReply + editReply with an attachment (multipart) → attachment served at /cdn', async () => {
    const { sent, interaction } = await command();
    await interaction.deferReply();
    expect((await sent.waitForResponse()).type).toBe(5);
    expect(sent.original()!.flags! & MessageFlags.Loading).toBeTruthy();
    const edited = await interaction.editReply({
      embeds: [new EmbedBuilder().setTitle('Done').setImage('attachment://out.png')],
      files: [new AttachmentBuilder(PNG_1x1, { name: 'out.png' })],
    });
    const patch = await h.sim.waitForRequest((r) => r.method === 'PATCH' && r.route.endsWith('@original'));
    expect(patch.files).toEqual([{ field: 'files[0]', filename: 'out.png', contentType: 'image/png', size: PNG_1x1.length }]);
    const original = sent.original()!;
    expect(original.edits).toHaveLength(1);
    expect(original.flags! & MessageFlags.Loading).toBe(0);
    const attachment = original.attachments[0]!;
    expect(attachment).toMatchObject({ filename: 'out.png', width: 1, height: 1, content_type: 'image/png' });
    expect(original.embeds[0]?.image?.url).toBe(attachment.url);
    expect(edited.attachments.first()?.url).toBe(attachment.url);
    const res = await fetch(attachment.url);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await res.arrayBuffer())).toEqual(PNG_1x1);
  });

  test('§2.2 followUp posts a new message; fetchReply and deleteReply use @original', async () => {
    const { sent, interaction } = await command();
    await interaction.reply({ content: 'first' });
    const follow = await interaction.followUp({ content: 'second', flags: MessageFlags.Ephemeral });
    expect(follow.content).toBe('second');
    expect(sent.followUps().map((m) => m.content)).toEqual(['second']);
    expect((await interaction.fetchReply()).content).toBe('first');
    await interaction.deleteReply();
    expect(sent.original()?.deleted).toBe(true);
    await expect(interaction.fetchReply()).rejects.toMatchObject({ code: 10008 });
  });

  test('§2.3 a follow-up right after a defer edits the loading message', async () => {
    const { sent, interaction } = await command();
    await interaction.deferReply();
    await interaction.followUp({ content: 'replaces loading' });
    expect(sent.original()!.content).toBe('replaces loading');
    expect(sent.followUps()).toEqual([]);
  });

  test('checklist REST 3: one ack only — a second ack is 400 code 40060', async () => {
    const { sent, interaction } = await command();
    await interaction.deferReply();
    const err = await h.client.rest.post(`/interactions/${sent.id}/${sent.token}/callback`, { body: { type: 4, data: { content: 'again' } }, auth: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DiscordAPIError);
    expect(err).toMatchObject({ status: 400, code: 40060 });
    expect(h.sim.violations.at(-1)).toMatchObject({ code: 40060 });
  });

  test('§2.3 3 s deadline: an ack after advanceClock(3 s) fails with 404 Unknown interaction (10062)', async () => {
    const { interaction } = await command();
    h.sim.advanceClock(ACK_DEADLINE_MS + 1);
    await expect(interaction.reply({ content: 'late' })).rejects.toMatchObject({ status: 404, code: 10062 });
  });

  test('§2.3 15 min token life: webhook routes then answer 401 Invalid Webhook Token (50027)', async () => {
    const { interaction } = await command();
    await interaction.deferReply();
    await interaction.editReply({ content: 'progress' });
    h.sim.advanceClock(TOKEN_LIFETIME_MS + 1);
    await expect(interaction.editReply({ content: 'too late' })).rejects.toMatchObject({ status: 401, code: 50027 });
    await expect(interaction.followUp({ content: 'too late' })).rejects.toMatchObject({ status: 401, code: 50027 });
  });

  test('checklist REST 4: webhook routes before any ack → 404 Unknown Webhook', async () => {
    const { sent } = await command();
    const res = await fetch(`${h.sim.apiBase}/v10/webhooks/${h.sim.applicationId}/${encodeURIComponent(sent.token)}/messages/%40original`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ message: 'Unknown Webhook', code: 10015 });
  });

  test('§2.1 attachment option: resolved.attachments comes from sim.uploadAttachment', async () => {
    const upload = h.sim.uploadAttachment({ channelId: h.sim.defaultGuild!.channels[0]!.id, filename: 'in.png', contentType: 'image/png', data: PNG_1x1 });
    const { interaction } = await command([{ name: 'prompt', value: 'x' }, { name: 'init_image', value: upload.id }]);
    const att = interaction.options.getAttachment('init_image')!;
    expect(att.url).toBe(upload.url);
    expect(Buffer.from(await (await fetch(att.url)).arrayBuffer())).toEqual(PNG_1x1);
  });

  test('§2.1 autocomplete (type 4) → respond() is a type 8 callback', async () => {
    const next = h.nextInteraction();
    const sent = h.sim.sendAutocomplete({ user: h.sim.defaultUser!, guild: h.sim.defaultGuild!, name: 'imagine', options: [], focused: 'prompt', focusedValue: 'ca' });
    const interaction = await next;
    if (!interaction.isAutocomplete()) throw new Error('expected autocomplete');
    expect(interaction.options.getFocused()).toBe('ca');
    await interaction.respond([{ name: 'cat', value: 'cat' }]);
    expect(await sent.waitForResponse()).toMatchObject({ type: 8, data: { choices: [{ name: 'cat', value: 'cat' }] } });
  });

  test('§2.1 button (type 3) → update() edits the message carrying the button', async () => {
    const { sent: first, interaction } = await command();
    await interaction.reply({ content: 'queued', components: [regenRow()] });
    const message = first.original()!;
    const next = h.nextInteraction();
    const sent = h.sim.sendComponent({ user: h.sim.defaultUser!, guild: h.sim.defaultGuild!, message, customId: 'regen:v1:8f3a' });
    const click = await next;
    if (!click.isButton()) throw new Error('expected button');
    expect(click.message.id).toBe(message.id);
    await click.update({ content: 'regenerating' });
    expect((await sent.waitForResponse()).type).toBe(7);
    expect(h.sim.message(message.id)?.content).toBe('regenerating');
  });

  test('§2.1 showModal (type 9) then modal submit (type 5) mirrors the Label layout', async () => {
    const { sent, interaction } = await command();
    const modal = new ModalBuilder().setCustomId('editmodal:v1:8f3a').setTitle('Edit prompt')
      .addLabelComponents(new LabelBuilder().setLabel('Prompt').setTextInputComponent(new TextInputBuilder().setCustomId('prompt').setStyle(TextInputStyle.Short)));
    await interaction.showModal(modal);
    expect((await sent.waitForResponse()).type).toBe(9);
    const next = h.nextInteraction();
    const submitted = h.sim.sendModalSubmit({ user: h.sim.defaultUser!, guild: h.sim.defaultGuild!, customId: 'editmodal:v1:8f3a', fields: { prompt: 'a dog' } });
    const submit = await next;
    if (!submit.isModalSubmit()) throw new Error('expected modal submit');
    expect(submit.fields.getTextInputValue('prompt')).toBe('a dog');
    await submit.reply({ content: 'ok' });
    expect((await submitted.waitForResponse()).type).toBe(4);
  });

  test('checklist REST 3: callback types must fit the interaction (type 6 on a slash command → 50035)', async () => {
    const { sent } = await command();
    const err = await h.client.rest.post(`/interactions/${sent.id}/${sent.token}/callback`, { body: { type: 6 }, auth: false }).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 400, code: 50035 });
  });

  test('checklist REST 3: with_response=true returns the interaction callback resource', async () => {
    const { sent } = await command();
    const res = await fetch(`${h.sim.apiBase}/v10/interactions/${sent.id}/${encodeURIComponent(sent.token)}/callback?with_response=true`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 4, data: { content: 'hi' } }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { interaction: { id: string }; resource: { type: number; message: { content: string } } };
    expect(body.interaction.id).toBe(sent.id);
    expect(body.resource).toMatchObject({ type: 4, message: { content: 'hi' } });
  });

  test('checklist REST 4: attachments merge by files[n] index on create and by id on edit', async () => {
    const { sent, interaction } = await command();
    await interaction.deferReply();
    const first = await interaction.editReply({ files: [{ attachment: PNG_1x1, name: 'a.png' }, { attachment: PNG_1x1, name: 'b.png', description: 'second' }] });
    expect(sent.original()!.attachments.map((a) => [a.filename, a.description])).toEqual([['a.png', undefined], ['b.png', 'second']]);
    const keep = first.attachments.first()!;
    await interaction.editReply({ attachments: [keep], files: [{ attachment: PNG_1x1, name: 'c.png' }] });
    expect(sent.original()!.attachments.map((a) => a.filename)).toEqual(['a.png', 'c.png']);
    expect(sent.original()!.attachments[0]!.id).toBe(keep.id);
    await interaction.editReply({ attachments: [] });
    expect(sent.original()!.attachments).toEqual([]);
    expect(sent.original()!.edits).toHaveLength(3);
  });

  test('checklist REST 4: follow-ups can be edited and deleted by id', async () => {
    const { sent, interaction } = await command();
    await interaction.reply({ content: 'first' });
    const follow = await interaction.followUp({ content: 'second' });
    await interaction.webhook.editMessage(follow.id, { content: 'second, edited' });
    expect(h.sim.message(follow.id)?.content).toBe('second, edited');
    expect(h.sim.message(follow.id)?.edits.map((e) => e.content)).toEqual(['second']);
    await interaction.webhook.deleteMessage(follow.id);
    expect(sent.followUps()[0]?.deleted).toBe(true);
  });

  test('§2.1 string select (type 3, component_type 3) delivers values', async () => {
    const { sent, interaction } = await command();
    await interaction.reply({ content: 'pick', components: [{ type: 1, components: [{ type: 3, custom_id: 'page:v1:8f3a', options: [{ label: '1', value: '1' }, { label: '2', value: '2' }] }] }] });
    const next = h.nextInteraction();
    h.sim.sendComponent({ user: h.sim.defaultUser!, guild: h.sim.defaultGuild!, message: sent.original()!, customId: 'page:v1:8f3a', values: ['2'] });
    const select = await next;
    if (!select.isStringSelectMenu()) throw new Error('expected select');
    expect(select.values).toEqual(['2']);
    await select.deferUpdate();
  });
});
