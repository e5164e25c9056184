import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { REST } from '@discordjs/rest';
import { Routes } from 'discord-api-types/v10';
import { startHarness, type Harness } from './helpers.ts';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(() => h.close());

describe('NOTES §5 registration (bulk PUT) and checklist REST 2', () => {
  test('application.commands.set() for global and guild scope, read back with GET', async () => {
    const guildId = h.sim.defaultGuild!.id;
    const global = await h.client.application!.commands.set([{ name: 'imagine', description: 'Generate' }]);
    const guild = await h.client.application!.commands.set([{ name: 'dev', description: 'Dev only' }], guildId);
    expect(global.first()?.name).toBe('imagine');
    expect(guild.first()?.guildId).toBe(guildId);
    expect(h.sim.commands().map((c) => (c as { name: string }).name)).toEqual(['imagine']);
    expect(h.sim.commands(guildId).map((c) => (c as { name: string }).name)).toEqual(['dev']);
    const fetched = await h.client.application!.commands.fetch();
    expect(fetched.map((c) => c.id)).toEqual([global.first()!.id]);
  });

  test('a second bulk PUT keeps ids of unchanged names and drops missing ones', async () => {
    const rest = new REST({ api: h.sim.apiBase }).setToken(h.sim.token);
    const route = Routes.applicationCommands(h.sim.applicationId);
    const [a] = (await rest.put(route, { body: [{ name: 'a', description: 'A' }, { name: 'b', description: 'B' }] })) as Array<{ id: string }>;
    const second = (await rest.put(route, { body: [{ name: 'a', description: 'A2' }] })) as Array<{ id: string; description: string }>;
    expect(second).toEqual([expect.objectContaining({ id: a!.id, description: 'A2' })]);
  });

  test('requests without the bot token are 401', async () => {
    const res = await fetch(`${h.sim.apiBase}/v10/applications/${h.sim.applicationId}/commands`);
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toBe('application/json');
  });
});

describe('NOTES §2.3 rate limits and server errors', () => {
  test('an injected 429 (Retry-After + X-RateLimit-*) is retried transparently by discord.js', async () => {
    const channel = h.client.channels.cache.get(h.sim.defaultGuild!.channels[0]!.id);
    if (!channel?.isSendable()) throw new Error('channel not sendable');
    h.sim.injectRateLimit({ route: 'POST /channels/{channel_id}/messages', count: 1, retryAfterSeconds: 0.05 });
    const limited = new Promise((resolve) => h.client.rest.once('rateLimited', resolve));
    const message = await channel.send({ content: 'after a 429' });
    expect(await limited).toMatchObject({ retryAfter: expect.any(Number), scope: 'user' });
    const posts = h.sim.requests.filter((r) => r.route === '/channels/{channel_id}/messages' && r.method === 'POST');
    expect(posts.map((r) => r.status)).toEqual([429, 200]);
    expect(h.sim.message(message.id)?.content).toBe('after a 429');
  });

  test('an injected 429 on the interaction callback (burst handler) is retried too', async () => {
    await h.client.application!.commands.set([{ name: 'imagine', description: 'Generate' }]);
    h.sim.injectRateLimit({ route: /callback$/, retryAfterSeconds: 0.05 });
    const next = h.nextInteraction();
    const sent = h.sim.sendCommand({ user: h.sim.defaultUser!, guild: h.sim.defaultGuild!, name: 'imagine' });
    const interaction = await next;
    if (!interaction.isChatInputCommand()) throw new Error('expected command');
    await interaction.reply({ content: 'ok' });
    expect((await sent.waitForResponse()).type).toBe(4);
    expect(h.sim.requests.filter((r) => r.route.endsWith('/callback')).map((r) => r.status)).toEqual([429, 204]);
  });

  test('an injected global 429 sets X-RateLimit-Global and the JSON body', async () => {
    h.sim.injectRateLimit({ global: true, retryAfterSeconds: 0.1 });
    const res = await fetch(`${h.sim.apiBase}/v10/users/@me`, { headers: { authorization: `Bot ${h.sim.token}` } });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('0.1');
    expect(res.headers.get('x-ratelimit-global')).toBe('true');
    expect(res.headers.get('x-ratelimit-scope')).toBe('global');
    expect(await res.json()).toEqual({ message: 'You are being rate limited.', retry_after: 0.1, global: true });
  });

  test('an injected 500 is retried by @discordjs/rest', async () => {
    h.sim.injectServerError({ route: '/users/@me', count: 2, status: 502 });
    const rest = new REST({ api: h.sim.apiBase, retries: 3 }).setToken(h.sim.token);
    const me = (await rest.get(Routes.user('@me'))) as { id: string };
    expect(me.id).toBe(h.sim.botUser.id);
    expect(h.sim.requests.filter((r) => r.route === '/users/@me').map((r) => r.status)).toEqual([502, 502, 200]);
  });
});

describe('message.mdx create message: enforce_nonce', () => {
  test('the same enforced nonce within minutes returns the earlier message and creates none; without enforce it does not', async () => {
    const rest = new REST({ api: h.sim.apiBase }).setToken(h.sim.token);
    const channelId = h.sim.defaultGuild!.channels[0]!.id;
    const route = Routes.channelMessages(channelId);
    const first = (await rest.post(route, { body: { content: 'one', nonce: 'abc', enforce_nonce: true } })) as { id: string };
    const again = (await rest.post(route, { body: { content: 'two', nonce: 'abc', enforce_nonce: true } })) as { id: string };
    expect(again.id).toBe(first.id);
    expect(h.sim.messages(channelId)).toHaveLength(1);
    await rest.post(route, { body: { content: 'three', nonce: 'abc' } });
    expect(h.sim.messages(channelId)).toHaveLength(2);
    h.sim.advanceClock(6 * 60_000);
    await rest.post(route, { body: { content: 'four', nonce: 'abc', enforce_nonce: true } });
    expect(h.sim.messages(channelId)).toHaveLength(3);
  });
});
