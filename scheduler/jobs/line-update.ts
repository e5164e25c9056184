import { lineFront, saveLinePlaces, type LineRow } from '#shared/db/sql/line.ts';
import { lineCap, linePlace, queuedKey } from '#shared/generation/line-place.ts';
import type { JobPayload } from '#shared/queue/contracts.ts';
import { sendLiveEdits } from '#shared/queue/send-live.ts';
import type { JobDefinition } from '../context.ts';
import { liveEditGapMs } from '../generation/live-message.ts';

/**
 * After the line moved (see announceLineMoved): one bounded query for the places at the front of
 * the line, then for the waiting messages whose place or ETA changed, one statement storing their
 * places and one insert of the live edits not already waiting. Messages further back already say
 * "50+ ahead" and have nothing new to show until they reach the front.
 */
export const lineUpdateJob: JobDefinition<JobPayload<'line-update'>> & { name: 'line-update' } = {
  name: 'line-update',
  // Debounced jobs start at the next one-second slot and are found by polling, not NOTIFY: poll
  // often (a cheap indexed read) so a move shows within about a second.
  workOptions: () => ({ pollingIntervalSeconds: 0.5, notifyPollingIntervalSeconds: 0.5 }),
  async handle(ctx, _payload, { logger }) {
    const stmt = lineFront(lineCap);
    const rows = (await ctx.db.executeSql<LineRow>(stmt.text, stmt.values)).rows;
    const changed = rows.map((row) => ({ id: row.id, place: linePlace(row), shown: row.liveShown })).filter((c) => queuedKey(c.place) !== c.shown);
    if (changed.length > 0) {
      const save = saveLinePlaces(changed.map(({ id, place }) => ({ id, place })), liveEditGapMs);
      await sendLiveEdits(ctx.boss, (await ctx.db.executeSql<{ id: string; waitMs: number }>(save.text, save.values)).rows);
    }
    logger.debug({ front: rows.length, changed: changed.length }, 'line places recomputed');
  },
};
