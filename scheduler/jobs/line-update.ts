import { lineFront, type LineRow } from '#shared/db/sql/line.ts';
import { lineCap, linePlace, queuedKey } from '#shared/generation/line-place.ts';
import type { JobPayload } from '#shared/queue/contracts.ts';
import { sendLiveEdit } from '#shared/queue/send-live.ts';
import type { JobDefinition } from '../context.ts';

/**
 * After the line moved (see announceLineMoved): one bounded query for the places at the front of
 * the line, and a live edit for each waiting message whose place or ETA changed. Messages further
 * back already say "50+ ahead" and have nothing new to show until they reach the front.
 */
export const lineUpdateJob: JobDefinition<JobPayload<'line-update'>> & { name: 'line-update' } = {
  name: 'line-update',
  // Debounced jobs start at the next one-second slot and are found by polling, not NOTIFY: poll
  // often (a cheap indexed read) so a move shows within about a second.
  workOptions: () => ({ pollingIntervalSeconds: 0.5, notifyPollingIntervalSeconds: 0.5 }),
  async handle(ctx, _payload, { logger }) {
    const stmt = lineFront(lineCap);
    const rows = (await ctx.db.executeSql<LineRow>(stmt.text, stmt.values)).rows;
    let changed = 0;
    for (const row of rows) {
      const place = linePlace(row);
      if (queuedKey(place) === row.liveShown) continue;
      changed++;
      await sendLiveEdit(ctx.boss, row.id, { place });
    }
    logger.debug({ front: rows.length, changed }, 'line places recomputed');
  },
};
