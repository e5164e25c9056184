import { Routes } from 'discord-api-types/v10';
import type { REST } from '@discordjs/rest';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createDiscordRest, createInteractionRest } from '#shared/discord/rest.ts';
import { startDiscordSim, type DiscordSim } from '#sim/discord/index.ts';

let sim: DiscordSim;
beforeAll(async () => {
  sim = await startDiscordSim();
});
afterAll(async () => {
  await sim.close();
});

/** 60 interaction-webhook edits at once (unknown tokens: each answers 404, and each counts); how many waited for the global limit. */
async function globalWaits(rest: REST): Promise<number> {
  let waits = 0;
  rest.on('rateLimited', (info) => {
    if (info.global) waits++;
  });
  await Promise.all(Array.from({ length: 60 }, (_, i) =>
    rest.patch(Routes.webhookMessage(sim.applicationId, `token-${i}`, '@original'), { body: { content: 'x' }, auth: false }).catch(() => undefined)));
  return waits;
}

test("interaction webhooks are not held to the bot's 50 requests/s global limit (Discord exempts them); the bot's own client is", async () => {
  expect(await globalWaits(createInteractionRest(sim.apiBase))).toBe(0);
  expect(await globalWaits(createDiscordRest(sim.apiBase, sim.token))).toBeGreaterThan(0);
});
