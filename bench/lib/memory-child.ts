// Child of bench/bot-memory.ts: logs one client in to the sim, waits for every guild, prints its memory as JSON.
//   node --expose-gc bench/lib/memory-child.ts bare <apiBase> <token> <guilds>
import { Client, Events, GatewayIntentBits } from 'discord.js';

const [kind, apiBase, token, guilds] = process.argv.slice(2) as [string, string, string, string];
const client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: apiBase }, waitGuildTimeout: 15_000 });
const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
await client.login(token);
await ready;
global.gc?.();
await new Promise((r) => setTimeout(r, 200));
global.gc?.();
const m = process.memoryUsage();
const cached = {
  guilds: client.guilds.cache.size,
  channels: client.channels.cache.size,
  roles: client.guilds.cache.reduce((n, g) => n + g.roles.cache.size, 0),
  members: client.guilds.cache.reduce((n, g) => n + g.members.cache.size, 0),
  users: client.users.cache.size,
  emojis: client.guilds.cache.reduce((n, g) => n + g.emojis.cache.size, 0),
};
console.log(JSON.stringify({ kind, expected: Number(guilds), rss: m.rss, heapUsed: m.heapUsed, cached }));
await client.destroy();
process.exit(0);
