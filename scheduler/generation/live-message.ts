import type { GenerationRow } from '#shared/db/repositories/generation-repository.ts';
import { claimLiveEdits as claimLiveEditsSql, forgetLiveShown, lineFront, type LineRow, type LiveEditClaim } from '#shared/db/sql/line.ts';
import { lineCap, linePlace, queuedKey, runningKey, type LinePlace } from '#shared/generation/line-place.ts';
import { sendLiveEdits } from '#shared/queue/send-live.ts';
import { renderProgress } from '#shared/render/progress-message.ts';
import { queuedMessage } from '#shared/render/queued-message.ts';
import { storageNotice } from '#shared/render/storage-notice.ts';
import type { SchedulerContext } from '../context.ts';

/**
 * Discord lets a message be edited about 5 times per 5 s; one edit per 1.5 s per message stays well
 * inside that and is as fast as a person reads a changing number.
 */
export const liveEditGapMs = 1500;

/** A generation as its live edit reads it (selectForLiveEdit). */
export interface LiveRow extends GenerationRow {
  /** The place line-update last stored for it; null until it computed one. */
  linePlace: LinePlace | null;
  storageFailingSince: Date | null;
}

/** What a live message should show now (`body`), and the key that says so in fewer words. */
export interface LiveEdit {
  body: Record<string, unknown>;
  key: string;
}

/**
 * What the live message of `g` should show now, or nothing (it ended). A waiting one shows `place`:
 * the one line-update computed (from an older job's payload, else the one stored on the row), else
 * one computed for it (claimLiveEdits).
 */
function liveMessageFor(g: LiveRow, place: LinePlace | undefined): LiveEdit | undefined {
  if (g.deliveredAt) return undefined;
  if (g.status === 'running') return { body: renderProgress(g), key: runningKey(g.progress) };
  if (g.status !== 'queued' || !place) return undefined;
  // While image storage fails, intake is held: the waiting member keeps being told why.
  const notice = storageNotice(g.storageFailingSince);
  return { body: queuedMessage(g, place, notice) as unknown as Record<string, unknown>, key: `${queuedKey(place)}${notice ? ':storage' : ''}` };
}

const waitingWithoutPlace = (g: LiveRow, known: LinePlace | undefined) => !g.deliveredAt && g.status === 'queued' && !known && !g.linePlace;

/**
 * Claims the live edits of many messages (a deliver batch's) in one statement, and returns those
 * that may be sent now, by generation: each message is edited at most once per edit gap and only
 * to show something new. An edit that comes too soon is sent again through the queue for when the
 * gap has passed, all of them in one insert, unless one already waits (it will render whatever is
 * true when it runs, so the latest state wins). Waiting ones whose place line-update has not
 * stored yet have it computed here, in one query for all of them.
 */
export async function claimLiveEdits(ctx: SchedulerContext, edits: { g: LiveRow; known?: LinePlace }[]): Promise<Map<string, LiveEdit>> {
  const unplaced = edits.filter(({ g, known }) => waitingWithoutPlace(g, known)).map(({ g }) => g.id);
  const computed = new Map<string, LinePlace>();
  if (unplaced.length > 0) {
    const stmt = lineFront(lineCap, unplaced);
    const front = new Map((await ctx.db.executeSql<LineRow>(stmt.text, stmt.values)).rows.map((r) => [r.id, r]));
    for (const id of unplaced) computed.set(id, linePlace(front.get(id)));
  }
  const wanted = new Map<string, LiveEdit>();
  for (const { g, known } of edits) {
    const edit = wanted.has(g.id) ? undefined : liveMessageFor(g, known ?? g.linePlace ?? computed.get(g.id));
    if (edit) wanted.set(g.id, edit);
  }
  if (wanted.size === 0) return wanted;
  const claim = claimLiveEditsSql([...wanted].map(([id, { key }]) => ({ id, shown: key })), liveEditGapMs);
  const claims = (await ctx.db.executeSql<LiveEditClaim>(claim.text, claim.values)).rows;
  const claimed = new Map(claims.filter((c) => c.claimed).map((c) => [c.id, wanted.get(c.id)!]));
  const later = claims.filter((c) => !c.claimed && !c.waiting && c.liveShown !== wanted.get(c.id)!.key);
  await sendLiveEdits(ctx.boss, later.map((c) => ({ id: c.id, waitMs: c.waitMs })));
  return claimed;
}

/**
 * Sends a claimed live edit (see claimLiveEdits). When nothing was shown (no message to edit yet,
 * or the edit failed), what it claimed is forgotten, so the next attempt edits again. Returns
 * false when nothing was sent.
 */
export async function sendClaimedEdit(
  ctx: SchedulerContext,
  id: string,
  edit: LiveEdit,
  send: (body: Record<string, unknown>) => Promise<boolean>,
): Promise<boolean> {
  try {
    const sent = await send(edit.body);
    if (!sent) await forgetShown(ctx, id, edit.key);
    return sent;
  } catch (err) {
    await forgetShown(ctx, id, edit.key);
    throw err;
  }
}

async function forgetShown(ctx: SchedulerContext, id: string, key: string): Promise<void> {
  const stmt = forgetLiveShown(id, key);
  await ctx.db.executeSql(stmt.text, stmt.values);
}
