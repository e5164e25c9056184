export interface BackoffPolicy {
  /** Delay before the first retry, before jitter. */
  baseMs: number;
  maxMs: number;
}

export const defaultBackoff: BackoffPolicy = { baseMs: 200, maxMs: 5_000 };

/**
 * Exponential backoff with "equal jitter": half the exponential delay plus a random half, so
 * many clients retrying at once spread out but never retry immediately.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const exp = Math.min(policy.maxMs, policy.baseMs * 2 ** attempt);
  return Math.round(exp / 2 + random() * (exp / 2));
}
