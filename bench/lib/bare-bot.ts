import { Client, Events, GatewayIntentBits } from 'discord.js';

/** The anchor: a bare discord.js bot (default caches) that answers every command and button at once with "ok". */
export async function startBareBot(opts: { apiBase: string; token: string }): Promise<{ client: Client; stop(): Promise<void> }> {
  const client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: opts.apiBase }, waitGuildTimeout: 1_000 });
  client.on(Events.InteractionCreate, (interaction) => {
    if (interaction.isChatInputCommand() || interaction.isButton()) interaction.reply({ content: 'ok' }).catch(() => {});
  });
  const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
  await client.login(opts.token);
  await ready;
  return { client, stop: () => client.destroy() };
}
