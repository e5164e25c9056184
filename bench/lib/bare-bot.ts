import { Client, Events, GatewayIntentBits, type InteractionReplyOptions } from 'discord.js';

/** The anchor: a bare discord.js bot (default caches) that answers every command and button at once with `answer` ("ok" unless given). */
export async function startBareBot(opts: { apiBase: string; token: string; answer?: InteractionReplyOptions }): Promise<{ client: Client; stop(): Promise<void> }> {
  const answer = opts.answer ?? { content: 'ok' };
  const client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: opts.apiBase }, waitGuildTimeout: 1_000 });
  client.on(Events.InteractionCreate, (interaction) => {
    if (interaction.isChatInputCommand() || interaction.isButton()) interaction.reply(answer).catch(() => {});
  });
  const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
  await client.login(opts.token);
  await ready;
  return { client, stop: () => client.destroy() };
}
