import { REST } from '@discordjs/rest';
import { Routes } from 'discord-api-types/v10';
import { afterEach, expect, test } from 'vitest';
import { startDiscordSim, type DiscordSim } from '#sim/discord/index.ts';

let sim: DiscordSim | undefined;
afterEach(() => sim?.close());

test("opt-in per-message edit limit: the 4th edit of one message within the window is a 429 (retried by discord.js); another message is not limited", async () => {
  sim = await startDiscordSim({ messageEditLimit: { count: 3, perMs: 400 } });
  const channelId = sim.defaultGuild!.channels[0]!.id;
  const rest = new REST({ api: sim.apiBase, retries: 3 }).setToken(sim.token);
  const post = () => rest.post(Routes.channelMessages(channelId), { body: { content: 'x' } }) as Promise<{ id: string }>;
  const [a, b] = [await post(), await post()];
  for (let i = 0; i < 4; i++) await rest.patch(Routes.channelMessage(channelId, a.id), { body: { content: `a${i}` } });
  await rest.patch(Routes.channelMessage(channelId, b.id), { body: { content: 'b' } });
  const edits = (id: string) => sim!.requests.filter((r) => r.method === 'PATCH' && r.path.endsWith(id)).map((r) => r.status);
  expect(edits(a.id)).toEqual([200, 200, 200, 429, 200]);
  expect(edits(b.id)).toEqual([200]);
  expect(sim.message(a.id)?.content).toBe('a3');
});
