import type { PgBoss } from 'pg-boss';
import type { Db } from '#shared/db/pool.ts';
import type { LinePlace } from '#shared/generation/line-place.ts';
import { parsePayload } from './contracts.ts';

/**
 * Asks for the live message of a generation ("#N in line" with its ETA while it waits, the progress
 * bar while it runs) to be brought up to date. At most one such job waits per generation: a second
 * request while one waits changes nothing (that job renders whatever is true when it runs, so the
 * last state wins). It rides in the generation's delivery group, so it never overlaps (or, once
 * delivered, overwrites) the final result; the deliver job spaces the edits of one message.
 * `place`: a waiting generation's place just computed by line-update (a later request replaces it).
 */
export async function sendLiveEdit(boss: PgBoss, generationId: string, opts: { place?: LinePlace; startAfter?: Date; db?: Db } = {}): Promise<void> {
  const data = parsePayload('deliver', { generationId, kind: 'live', ...(opts.place ? { place: opts.place } : {}) });
  await boss.upsert('deliver', data, {
    singletonKey: `live:${generationId}`,
    group: { id: generationId },
    ...(opts.startAfter ? { startAfter: opts.startAfter } : {}),
    ...(opts.db ? { db: opts.db as never } : {}),
  });
}

const lineDebounceSeconds = 1;

/**
 * The line moved (a request started, ended, was cancelled, or one arrived that may be served
 * before others): recompute the places shown in the waiting messages. Debounced by pg-boss to one
 * `line-update` job per second whatever the rate of moves, with one more after a busy second so
 * the last move is always shown.
 */
export async function announceLineMoved(boss: PgBoss): Promise<void> {
  await boss.sendDebounced('line-update', parsePayload('line-update', {}), null, lineDebounceSeconds, 'line');
}
