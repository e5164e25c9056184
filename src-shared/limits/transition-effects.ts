import type { GenerationStatus } from '#shared/generation/status.ts';
import { activeStatuses } from '#shared/generation/status.ts';

/** A generation's status change, with what the limiter needs to know about the generation. */
export interface StatusChange {
  userId: string;
  from: GenerationStatus;
  to: GenerationStatus;
  batchSize: number;
  startedAt: Date | null;
  /** When the limiter counted it; null = never counted, so the counters owe it nothing. */
  chargedAt: Date | null;
}

export interface TransitionEffects {
  /** The user has one request fewer queued or running. */
  releaseActive: boolean;
  /** Images given back to the windows they were taken from (0 = none). */
  refundImages: number;
  /** Change to the number of requests waiting in line. */
  waitingDelta: -1 | 0 | 1;
}

const isActive = (s: GenerationStatus) => activeStatuses.includes(s);

/**
 * What a status change does to the limiter's counters. A request that ends cancelled or failed
 * before it started (it never reached an image server) gives its images back; one that started,
 * or succeeded, does not. Pure.
 */
export function transitionEffects(c: StatusChange): TransitionEffects {
  if (!c.chargedAt) return { releaseActive: false, refundImages: 0, waitingDelta: 0 };
  const releaseActive = isActive(c.from) && !isActive(c.to);
  const refund = releaseActive && (c.to === 'cancelled' || c.to === 'failed') && c.startedAt === null;
  const waitingDelta = c.from === c.to ? 0 : c.to === 'queued' ? 1 : c.from === 'queued' ? -1 : 0;
  return { releaseActive, refundImages: refund ? c.batchSize : 0, waitingDelta };
}
