/*
 * How long a waiting generate job sleeps and how long what it read stays fresh.
 *
 * A waiting worker sleeps until a slot frees or work arrives (LISTEN, see SlotSignal); the timeout
 * is only a fallback for changes nobody announces (a dead scheduler's job expiring frees its slots),
 * doubled after each wait nothing ended, up to the maximum: every waiting job of a busy farm
 * re-checking every 2 s was a third of its statements. While its request can be placed, a waiting
 * job re-reads its guild's pause and the instances that could run it (outlookOf) at most every
 * recheck interval, not on every wake-up.
 *
 * Both stretch with the number of jobs waiting in the process: any of them claiming finds a free
 * slot for whoever deserves it, so together they still claim about twice a second and re-read about
 * ten outlooks a second, however long the line (hundreds of waiting jobs made a third of the
 * GPU-farm bench's claims and reads at its evening peak).
 */
const firstFallbackMs = 2000;
const maxFallbackMs = 8000;
const fallbackPerWaiterMs = 500;
const minRecheckMs = 10_000;
const recheckPerWaiterMs = 100;

/** The fallback wait after `quietWaits` waits that nothing ended, with `waiting` jobs of this process asleep. */
export function fallbackWaitMs(quietWaits: number, waiting: number): number {
  return Math.min(firstFallbackMs * 2 ** Math.min(quietWaits, 20), Math.max(maxFallbackMs, waiting * fallbackPerWaiterMs));
}

/** How long a waiting job's outlook (its guild's pause, where it could run) stays fresh. */
export function recheckOutlookMs(waiting: number): number {
  return Math.max(minRecheckMs, waiting * recheckPerWaiterMs);
}
