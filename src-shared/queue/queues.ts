import type { Queue } from 'pg-boss';
import type { QueueName } from './contracts.ts';

type QueueDefinition = Omit<Queue, 'name'> & { name: QueueName; cron?: string };

/**
 * Per-queue policy, written down in one place. Work queues carry a 10 s heartbeat (pg-boss's
 * minimum): when a scheduler process dies, its jobs are retried by another within ~10–20 s instead of
 * waiting out their expiry.
 *
 * - generate: the GPU step. A retry resumes from the stored prompt id (never resubmits blindly),
 *   so retries are safe; 3 of them with backoff ride out an instance restart. Expiry bounds a
 *   hung job; what exhausts its retries lands in `generate-dead`, whose handler fails the row
 *   with a reason so no request is silently dropped.
 * - thumbnail / deliver: cheap and idempotent; more retries with backoff for Discord outages.
 *   `deliver` is deduplicated by a singleton key per generation and kind.
 * - line-update: recomputes the places shown in waiting messages; debounced to one per second
 *   (see announceLineMoved), a lost one is repaired by the next move.
 * - cron queues: `singleton` policy so a slow run is never doubled; a NOTIFY with each job, so that
 *   their workers poll only as a backstop (register-job.ts).
 */
export const queueDefinitions: QueueDefinition[] = [
  { name: 'generate-dead', policy: 'standard', retryLimit: 5, retryDelay: 5, retryBackoff: true, notify: true },
  {
    name: 'generate',
    policy: 'standard',
    retryLimit: 3,
    retryDelay: 2,
    retryBackoff: true,
    retryDelayMax: 60,
    expireInSeconds: 30 * 60,
    deadLetter: 'generate-dead',
    heartbeatSeconds: 10,
    // Woken after the enqueue commits instead, one worker at a time (see wakeGenerate).
    notify: false,
  },
  // Found by polling (a second at most), not NOTIFY: the jobs of a busy second are then fetched and
  // completed as one batch, and a success's transaction sends no NOTIFY for it (see generate).
  { name: 'thumbnail', policy: 'standard', retryLimit: 3, retryDelay: 2, retryBackoff: true, expireInSeconds: 300, heartbeatSeconds: 10, notify: false },
  {
    name: 'deliver',
    policy: 'standard',
    retryLimit: 8,
    retryDelay: 2,
    retryBackoff: true,
    retryDelayMax: 120,
    expireInSeconds: 120,
    heartbeatSeconds: 10,
    notify: true,
  },
  { name: 'line-update', policy: 'standard', retryLimit: 1, retryDelay: 1, expireInSeconds: 60, notify: true },
  { name: 'cleanup', policy: 'singleton', retryLimit: 1, expireInSeconds: 3600, notify: true, cron: '17 * * * *' },
  { name: 'discover-models', policy: 'singleton', retryLimit: 1, expireInSeconds: 600, notify: true, cron: '*/10 * * * *' },
  { name: 'instance-health', policy: 'singleton', retryLimit: 0, expireInSeconds: 60, notify: true, cron: '* * * * *' },
  { name: 'reap-stuck', policy: 'singleton', retryLimit: 1, expireInSeconds: 300, notify: true, cron: '*/2 * * * *' },
  { name: 'keep-reply-ids', policy: 'singleton', retryLimit: 0, expireInSeconds: 60, notify: true, cron: '* * * * *' },
];
