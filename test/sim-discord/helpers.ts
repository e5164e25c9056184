import { Client, GatewayIntentBits, type Interaction } from 'discord.js';
import { startDiscordSim, type DiscordSim, type DiscordSimOptions } from '#sim/discord/index.ts';

export interface Harness {
  sim: DiscordSim;
  client: Client;
  /** Resolves with the next interaction discord.js emits. */
  nextInteraction(): Promise<Interaction>;
  close(): Promise<void>;
}

/** A sim plus the real discord.js Client logged in against it (NOTES §1.1), ready with guilds cached. */
export async function startHarness(opts: DiscordSimOptions = {}): Promise<Harness> {
  const sim = await startDiscordSim(opts);
  const client = new Client({
    intents: [GatewayIntentBits.Guilds],
    rest: { api: sim.apiBase, cdn: sim.cdnBase, retries: 3 },
    waitGuildTimeout: 1_000,
  });
  const ready = new Promise<void>((resolve) => client.once('clientReady', () => resolve()));
  await client.login(sim.token);
  await ready;
  return {
    sim,
    client,
    nextInteraction: () => new Promise((resolve) => client.once('interactionCreate', resolve)),
    close: async () => {
      await client.destroy();
      await sim.close();
    },
  };
}

/** A tiny valid PNG (1×1) for upload tests. */
export const PNG_1x1 = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);
