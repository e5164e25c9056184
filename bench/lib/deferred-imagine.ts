import type { DiscordSim, SimUser } from '#sim/discord/index.ts';

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
