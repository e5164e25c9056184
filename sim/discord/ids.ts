import { randomBytes } from 'node:crypto';

const DISCORD_EPOCH = 1_420_070_400_000n;

/**
 * Realistic 18–19 digit snowflakes. @discordjs/rest keys its rate-limit queues on `\d{17,19}` ids, so short ids
 * would collapse every route into one queue.
 */
export class SnowflakeFactory {
  #increment = 0n;
  readonly #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
  }

  next(): string {
    this.#increment = (this.#increment + 1n) & 0xfffn;
    const ms = BigInt(this.#now()) - DISCORD_EPOCH;
    return ((ms << 22n) | (1n << 17n) | (1n << 12n) | this.#increment).toString();
  }
}

export function snowflakeTimestamp(id: string): number {
  return Number((BigInt(id) >> 22n) + DISCORD_EPOCH);
}

/** Interaction tokens look like Discord's: base64 prefix, a `:` (sent percent-encoded as %3A) and random tail. */
export function interactionToken(interactionId: string): string {
  const head = Buffer.from(`interaction:${interactionId}:${randomBytes(6).toString('hex')}`).toString('base64url');
  return `${head}:${randomBytes(24).toString('base64url')}`;
}

export function botToken(userId: string): string {
  return `${Buffer.from(userId).toString('base64url')}.${randomBytes(4).toString('base64url')}.${randomBytes(20).toString('base64url')}`;
}

export function sessionId(): string {
  return randomBytes(16).toString('hex');
}
