import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { ActionRowBuilder, ButtonBuilder, ButtonStyle, EmbedBuilder, type ChatInputCommandInteraction } from 'discord.js';
import { startHarness, type Harness } from './helpers.ts';

let h: Harness;
let channelId: string;
beforeEach(async () => {
  h = await startHarness({ maxFileBytes: 1024 });
  channelId = h.sim.defaultGuild!.channels[0]!.id;
  await h.client.application!.commands.set([{ name: 'imagine', description: 'Generate' }]);
});
afterEach(() => h.close());

async function command(): Promise<ChatInputCommandInteraction> {
  const next = h.nextInteraction();
  h.sim.sendCommand({ user: h.sim.defaultUser!, guild: h.sim.defaultGuild!, name: 'imagine' });
  return (await next) as ChatInputCommandInteraction;
}

const row = (...ids: string[]) =>
  new ActionRowBuilder<ButtonBuilder>().addComponents(ids.map((id) => new ButtonBuilder().setCustomId(id).setLabel(id).setStyle(ButtonStyle.Secondary)));

/** POSTs a raw body to the channel-messages route, bypassing builders' own checks. */
async function postRaw(body: unknown): Promise<{ status: number; json: { code: number; errors?: unknown } }> {
  const res = await fetch(`${h.sim.apiBase}/v10/channels/${channelId}/messages`, {
    method: 'POST', headers: { authorization: `Bot ${h.sim.token}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as { code: number; errors?: unknown } };
}

describe('NOTES §2.3 limits and §4 spec validation (50035 Invalid Form Body)', () => {
  test('§4 spec: embed title of 257 chars in reply() → 400 50035 with the field path, recorded as a violation', async () => {
    const interaction = await command();
    const err = await interaction.reply({ embeds: [{ title: 'x'.repeat(257) }] }).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 400, code: 50035 });
    const v = h.sim.violations.at(-1)!;
    expect(v.route).toBe('/interactions/{interaction_id}/{interaction_token}/callback');
    expect(v.errors).toMatchObject({ data: { embeds: { 0: { title: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH' }] } } } } });
  });

  test('§4 spec: content over 2000 chars on channel.send() → 50035', async () => {
    const channel = h.client.channels.cache.get(channelId);
    if (!channel?.isSendable()) throw new Error('channel not sendable');
    await expect(channel.send({ content: 'y'.repeat(2001) })).rejects.toMatchObject({ code: 50035 });
    expect(h.sim.violations.at(-1)?.errors).toMatchObject({ content: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH' }] } });
  });

  test('§2.3 code: 6 action rows on a non-V2 message → 50035', async () => {
    const interaction = await command();
    const rows = [1, 2, 3, 4, 5, 6].map((n) => row(`b${n}`));
    await expect(interaction.reply({ components: rows })).rejects.toMatchObject({ code: 50035 });
    expect(h.sim.violations.at(-1)?.errors).toMatchObject({ data: { components: { _errors: [{ code: 'BASE_TYPE_BAD_LENGTH' }] } } });
  });

  test('§2.3 code: duplicate custom_id in one message → 50035 COMPONENT_CUSTOM_ID_DUPLICATED', async () => {
    const interaction = await command();
    await expect(interaction.reply({ components: [row('same', 'same')] })).rejects.toMatchObject({ code: 50035 });
    expect(JSON.stringify(h.sim.violations.at(-1)?.errors)).toContain('COMPONENT_CUSTOM_ID_DUPLICATED');
  });

  test('§2.3 code: embeds over 6000 chars in total (each field within its own limit) → 50035', async () => {
    const big = (n: number) => new EmbedBuilder().setTitle(`e${n}`).setDescription('z'.repeat(4000));
    const r = await postRaw({ embeds: [big(1).toJSON(), big(2).toJSON()] });
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ code: 50035, errors: { embeds: { _errors: [{ code: 'MAX_EMBED_SIZE_EXCEEDED' }] } } });
  });

  test('§4 spec: 6 buttons in a row and an 11th embed are rejected', async () => {
    const sixButtons = row('a', 'b', 'c', 'd', 'e', 'f').toJSON();
    expect((await postRaw({ components: [sixButtons] })).json.code).toBe(50035);
    expect((await postRaw({ embeds: Array.from({ length: 11 }, (_, i) => ({ title: `t${i}` })) })).json.code).toBe(50035);
  });

  test('§2.3 modal with 6 top-level components (spec allows 40) → 50035', async () => {
    const interaction = await command();
    const rows = Array.from({ length: 6 }, (_, i) => ({ type: 1, components: [{ type: 4, custom_id: `f${i}`, label: `F${i}`, style: 1 }] }));
    const err = await h.client.rest
      .post(`/interactions/${interaction.id}/${interaction.token}/callback`, { body: { type: 9, data: { custom_id: 'm', title: 'T', components: rows } }, auth: false })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 50035 });
  });

  test('checklist REST 6: a file over the per-file cap → 413 code 40005', async () => {
    const interaction = await command();
    await interaction.deferReply();
    await expect(interaction.editReply({ files: [{ attachment: Buffer.alloc(2048), name: 'big.bin' }] })).rejects.toMatchObject({ status: 413, code: 40005 });
  });


  test("a guild's own upload cap is stated on its interactions (attachment_size_limit) and enforced on its webhooks and channels", async () => {
    const small = h.sim.addGuild({ name: 'Unboosted', uploadLimitBytes: 512 });
    await h.client.application!.commands.set([{ name: 'imagine', description: 'Generate' }], small.id);
    const next = h.nextInteraction();
    h.sim.sendCommand({ user: h.sim.defaultUser!, guild: small, name: 'imagine' });
    const interaction = (await next) as ChatInputCommandInteraction;
    expect(interaction.attachmentSizeLimit).toBe(512);
    await interaction.deferReply();
    await expect(interaction.editReply({ files: [{ attachment: Buffer.alloc(600), name: 'a.bin' }] })).rejects.toMatchObject({ status: 413, code: 40005 });
    await interaction.editReply({ files: [{ attachment: Buffer.alloc(500), name: 'a.bin' }] });
    const channel = small.channels[0]!.id;
    await expect(h.client.rest.post(`/channels/${channel}/messages`, { body: {}, files: [{ name: 'b.bin', data: Buffer.alloc(600) }] })).rejects.toMatchObject({ status: 413 });
    // Other guilds keep the sim-wide cap (1024 here).
    expect((await command()).attachmentSizeLimit).toBe(1024);
  });
  test('empty message → 50006; a valid body passes and nothing is recorded as a violation', async () => {
    expect((await postRaw({})).json.code).toBe(50006);
    const ok = await postRaw({ content: 'fine', embeds: [{ title: 'ok' }], components: [row('x').toJSON()] });
    expect(ok.status).toBe(200);
    expect(h.sim.violations).toHaveLength(1);
  });

  test('unknown routes → 404 and a violation that names the path', async () => {
    const res = await fetch(`${h.sim.apiBase}/v10/nope/here`, { headers: { authorization: `Bot ${h.sim.token}` } });
    expect(res.status).toBe(404);
    expect(h.sim.violations.at(-1)).toMatchObject({ path: '/nope/here', status: 404 });
  });
});
