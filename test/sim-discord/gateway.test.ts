import { afterEach, describe, expect, test } from 'vitest';
import { Client, GatewayIntentBits } from 'discord.js';
import { startDiscordSim, type DiscordSim } from '#sim/discord/index.ts';
import { startHarness, type Harness } from './helpers.ts';

let harness: Harness | undefined;
let bare: DiscordSim | undefined;
afterEach(async () => {
  await harness?.close();
  await bare?.close();
  harness = bare = undefined;
});

describe('NOTES §1 pointing discord.js at the fake, and what "ready" needs', () => {
  test('§1.2 login: /gateway/bot → HELLO → IDENTIFY → READY (with application) → GUILD_CREATE; guilds and channels cached', async () => {
    harness = await startHarness();
    const { sim, client } = harness;
    const guild = sim.defaultGuild!;
    expect(client.user?.id).toBe(sim.botUser.id);
    expect(client.application?.id).toBe(sim.applicationId);
    expect(client.guilds.cache.get(guild.id)?.name).toBe('Test Guild');
    expect(client.channels.cache.get(guild.channels[0]!.id)?.isTextBased()).toBe(true);
    const gw = sim.requests.find((r) => r.route === '/gateway/bot');
    expect(gw?.authorization).toBe(`Bot ${sim.token}`);
    expect(sim.violations).toEqual([]);
  });

  test('without the Guilds intent READY lists the guilds but no GUILD_CREATE follows (then or later); interactions still arrive', async () => {
    bare = await startDiscordSim();
    const client = new Client({ intents: [], rest: { api: bare.apiBase } });
    const ready = new Promise<void>((resolve) => client.once('clientReady', () => resolve()));
    const dispatched: string[] = [];
    client.on('raw', (packet: { t?: string | null }) => void (packet.t && dispatched.push(packet.t)));
    const interaction = new Promise<string>((resolve) => client.once('interactionCreate', (i) => resolve(i.id)));
    await client.login(bare.token);
    await ready;
    bare.addGuild({ name: 'Later' });
    const sent = bare.sendComponent({ user: bare.defaultUser!, guild: bare.defaultGuild!, message: { id: '1', channel_id: bare.defaultGuild!.channels[0]!.id, author: bare.botUser, content: '', components: [] } as never, customId: 'x', componentType: 2 });
    expect(await interaction).toBe(sent.id);
    expect(dispatched).toContain('READY');
    expect(dispatched.filter((t) => t.startsWith('GUILD_'))).toEqual([]);
    expect(client.channels.cache.size).toBe(0);
    await client.destroy();
  });

  test('§1.2 a wrong token on /gateway/bot rejects login with TokenInvalid', async () => {
    bare = await startDiscordSim();
    const client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: bare.apiBase } });
    await expect(client.login('wrong.token.value')).rejects.toMatchObject({ code: 'TokenInvalid' });
    await client.destroy();
    expect(bare.violations[0]).toMatchObject({ route: '/gateway/bot', status: 401 });
  });

  test('checklist gateway 3: addGuild dispatches GUILD_CREATE to the connected bot', async () => {
    harness = await startHarness();
    const created = new Promise<string>((resolve) => harness!.client.once('guildCreate', (g) => resolve(g.id)));
    const guild = harness.sim.addGuild({ name: 'Second', channels: [{ name: 'art', nsfw: true }] });
    expect(await created).toBe(guild.id);
    expect(harness.client.guilds.cache.get(guild.id)?.channels.cache.size).toBe(1);
  });

  test('§1.2 reconnect: after the sim drops the socket the client RESUMEs and gets missed events replayed', async () => {
    harness = await startHarness();
    const { sim, client } = harness;
    const resumed = new Promise<void>((resolve) => client.once('shardResume', () => resolve()));
    const sessionId = [...sim.gateway.sessions.keys()][0];
    sim.gateway.dropConnections(4000);
    // Dispatched while the socket is down: must be replayed on RESUME.
    const guild = sim.addGuild({ name: 'While away' });
    await resumed;
    expect([...sim.gateway.sessions.keys()]).toEqual([sessionId]);
    expect(client.guilds.cache.get(guild.id)?.name).toBe('While away');
  });

  test('§1.2 op 7 RECONNECT: the client reconnects to resume_gateway_url and RESUMEs', async () => {
    harness = await startHarness();
    const resumed = new Promise<void>((resolve) => harness!.client.once('shardResume', () => resolve()));
    harness.sim.gateway.requestReconnect();
    await resumed;
    expect(harness.sim.gateway.sessions.size).toBe(1);
  });

  test('checklist gateway 4: op 1 heartbeats are ACKed (client measures a ping)', async () => {
    harness = await startHarness({ heartbeatIntervalMs: 100 });
    const { client } = harness;
    await expect.poll(() => client.ws.ping, { timeout: 3_000, interval: 50 }).toBeGreaterThanOrEqual(0);
  });

  test('§1.2 withheld op 11 ACKs: the client declares a zombie connection and RESUMEs', async () => {
    harness = await startHarness({ heartbeatIntervalMs: 150 });
    const { sim, client } = harness;
    const resumed = new Promise<void>((resolve) => client.once('shardResume', () => resolve()));
    sim.gateway.withholdHeartbeatAcks = true;
    await expect.poll(() => sim.gateway.sessions.values().next().value?.socket ?? null, { timeout: 3_000, interval: 20 }).toBeNull();
    sim.gateway.withholdHeartbeatAcks = false;
    await resumed;
  });

  test('§1.2 op 9 (d:false): the session is forgotten and the client re-IDENTIFYs (identify throttle ≈5 s)', async () => {
    harness = await startHarness();
    const { sim, client } = harness;
    const before = [...sim.gateway.sessions.keys()];
    // Wait for the client's own READY, not just the sim's session: destroying a discord.js shard
    // that is still waiting for READY makes it reconnect instead of closing (the old teardown hang).
    const readyAgain = new Promise<void>((resolve) => client.once('shardReady', () => resolve()));
    sim.gateway.invalidateSessions(false);
    await readyAgain;
    expect(sim.gateway.sessions.size).toBe(1);
    expect([...sim.gateway.sessions.keys()]).not.toEqual(before);
  }, 15_000);
});
