import type { DiscordSim, SentInteraction, SimMessage, SimUser } from '#sim/discord/index.ts';

export interface BurstResult {
  /** Sim-recorded time from INTERACTION_CREATE to the first callback, per interaction (ms). */
  samples: number[];
  /** Count of first-callback types (4 = reply, 5 = deferred). */
  types: Record<number, number>;
  failures: number;
  /** First callbacks that were ephemeral (a refusal or an error, never a normal answer here). */
  ephemeral: number;
  /** The interactions sent, in order (their later responses and edits are in the sim's log). */
  sent: SentInteraction[];
}

/**
 * Sends `/imagine prompt:<text>` for every user in the same tick and waits for every first callback.
 * The latency is what the sim recorded (callback `at` − interaction `createdAt`), so it does not
 * include the time this process takes to notice the response.
 */
export async function imagineBurst(sim: DiscordSim, users: SimUser[], prompt: (i: number) => string, timeoutMs = 30_000): Promise<BurstResult> {
  const guild = sim.defaultGuild!;
  return firstResponses(users.map((user, i) => sim.sendCommand({ user, guild, name: 'imagine', options: [{ name: 'prompt', value: prompt(i) }] })), timeoutMs);
}

export interface ButtonPress {
  user: SimUser;
  message: SimMessage;
  customId: string;
}

/** Presses every button in the same tick and waits for every first callback (as imagineBurst). */
export async function buttonBurst(sim: DiscordSim, presses: ButtonPress[], timeoutMs = 30_000): Promise<BurstResult> {
  const guild = sim.defaultGuild!;
  return firstResponses(presses.map((p) => sim.sendComponent({ user: p.user, guild, message: p.message, customId: p.customId })), timeoutMs);
}

async function firstResponses(sent: SentInteraction[], timeoutMs: number): Promise<BurstResult> {
  const settled = await Promise.allSettled(sent.map((ix) => ix.waitForResponse(timeoutMs)));
  const result: BurstResult = { samples: [], types: {}, failures: 0, ephemeral: 0, sent };
  for (const [i, s] of settled.entries()) {
    if (s.status === 'rejected') {
      result.failures += 1;
      continue;
    }
    result.samples.push(s.value.at - sent[i]!.createdAt);
    result.types[s.value.type] = (result.types[s.value.type] ?? 0) + 1;
    if ((((s.value.data as { flags?: number } | undefined)?.flags ?? 0) & 64) !== 0) result.ephemeral += 1;
  }
  return result;
}
