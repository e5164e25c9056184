import type { NewGeneration } from '#shared/db/repositories/generation-repository.ts';
import type { DiscordSim, SimUser } from '#sim/discord/index.ts';
import { newGenerationFor } from './stack.ts';

export async function registerImagine(discord: DiscordSim): Promise<void> {
  const res = await fetch(`${discord.apiBase}/v10/applications/${discord.applicationId}/commands`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bot ${discord.token}` },
    body: JSON.stringify([{ name: 'imagine', description: 'make an image', options: [{ name: 'prompt', description: 'what', type: 3, required: true }] }]),
  });
  if (!res.ok) throw new Error(`registering /imagine failed: ${res.status}`);
}

/** A deferred /imagine, as the bot leaves it: the scheduler edits @original through the token. */
export async function deferredInteraction(discord: DiscordSim, user: SimUser): Promise<{ userId: string; token: string; interactionId: string }> {
  const sent = discord.sendCommand({ user, guild: discord.defaultGuild!, name: 'imagine', options: [{ name: 'prompt', type: 3, value: 'bench' }] });
  const res = await fetch(`${discord.apiBase}/v10/interactions/${sent.id}/${sent.token}/callback`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ type: 5 }),
  });
  if (!res.ok) throw new Error(`defer failed: ${res.status} ${await res.text()}`);
  return { userId: user.id, token: sent.token, interactionId: sent.id };
}

/**
 * `n` deferred /imagines from `users` members (round robin), as the bot leaves them: each request
 * carries its interaction, so live edits and the result edit a real reply in the stand-in, as in
 * production. Made before the measurement starts (one defer callback each). BENCH_REPLIES=0:
 * requests without a reply (a live edit then finds nothing to edit, forgets what it claimed, and
 * the next line move sends it again), as the benches ran before.
 */
export async function deferredRequests(discord: DiscordSim, n: number, users: number, overrides: Partial<NewGeneration> = {}): Promise<NewGeneration[]> {
  if (process.env.BENCH_REPLIES === '0') {
    return Array.from({ length: n }, (_, i) => newGenerationFor(discord, `1000000000000${String(i % users).padStart(5, '0')}`, overrides));
  }
  return (await deferredImagines(discord, n, users)).map(({ userId, token, interactionId }) =>
    newGenerationFor(discord, userId, { interactionId, interactionToken: token, interactionTokenExpiresAt: new Date(Date.now() + 14 * 60_000), ...overrides }));
}

/** `n` deferred /imagines from `users` new members (round robin), /imagine registered first; one at a time. */
export async function deferredImagines(discord: DiscordSim, n: number, users: number): Promise<{ userId: string; token: string; interactionId: string }[]> {
  await registerImagine(discord);
  const members = Array.from({ length: users }, (_, i) => discord.addUser({ username: `member${i}` }));
  const sent = [];
  for (let i = 0; i < n; i++) sent.push(await deferredInteraction(discord, members[i % users]!));
  return sent;
}
