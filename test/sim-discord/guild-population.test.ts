import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { startHarness, type Harness } from './helpers.ts';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(() => h.close());

describe('NOTES §1.2 GUILD_CREATE with a populated guild', () => {
  test('extra roles and custom emojis reach discord.js caches, with stable ids', async () => {
    const created = new Promise<string>((resolve) => h.client.once('guildCreate', (g) => resolve(g.id)));
    const guild = h.sim.addGuild({ channels: [{ name: 'a' }, { name: 'b' }], roles: 3, emojis: 2 });
    expect(await created).toBe(guild.id);
    const cached = h.client.guilds.cache.get(guild.id)!;
    expect(cached.roles.cache.size).toBe(4);
    expect(cached.emojis.cache.size).toBe(2);
    expect(cached.channels.cache.size).toBe(2);
    expect([...cached.roles.cache.keys()].sort()).toEqual([guild.id, ...guild.roleIds!].sort());
  });
});
