import type { ChatInputCommandInteraction } from 'discord.js';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { replyInTime } from '#bot/respond/reply-in-time.ts';
import type { MessageBody } from '#shared/render/queued-message.ts';
import { startHarness, type Harness } from '../sim-discord/helpers.ts';
import { testLogger } from '../support/scheduler-context.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  await h.client.application!.commands.set([{ name: 'imagine', description: 'make an image', options: [{ name: 'prompt', description: 'what', type: 3, required: true }] }]);
});
afterAll(() => h.close());

const body: MessageBody = { embeds: [{ title: 'Queued — #1 in line', description: 'a fox' }], components: [] };

async function slashCommand() {
  const next = h.nextInteraction();
  const sent = h.sim.sendCommand({ user: h.sim.defaultUser!, guild: h.sim.defaultGuild!, name: 'imagine', options: [{ name: 'prompt', value: 'a fox' }] });
  return { sent, ix: (await next) as ChatInputCommandInteraction };
}

test('a reply in time does not ask for its message (no id, Discord answers 204), and discord.js knows the interaction is answered', async () => {
  const { sent, ix } = await slashCommand();
  const id = await replyInTime(ix, () => Promise.resolve(body), testLogger);
  expect(id).toBeNull();
  const callback = h.sim.requests.find((r) => r.method === 'POST' && r.path === `/interactions/${sent.id}/${sent.token}/callback`);
  expect(callback).toMatchObject({ status: 204, query: {}, response: undefined });
  expect(sent.original()!.embeds[0]).toMatchObject({ title: 'Queued — #1 in line' });
  expect([ix.replied, ix.deferred, ix.ephemeral]).toEqual([true, false, false]);
  // What discord.js allows only on an answered interaction works: an edit of the reply, a follow-up.
  await ix.editReply({ content: 'edited' });
  expect(sent.original()!.content).toBe('edited');
  await ix.followUp({ content: 'more' });
  expect(h.sim.violations).toEqual([]);
});

test('work slower than the defer time: deferred first, then the reply is an edit, with its id', async () => {
  const { sent, ix } = await slashCommand();
  const id = await replyInTime(ix, () => new Promise((r) => setTimeout(() => r(body), 100)), testLogger, 10);
  expect([ix.deferred, ix.replied]).toEqual([true, true]);
  expect(id).toBe(sent.original()!.id);
  expect(sent.original()!.embeds[0]).toMatchObject({ title: 'Queued — #1 in line' });
});
