import type { GenerationRow } from '#shared/db/repositories/generation-repository.ts';
import { claimLiveEdit, forgetLiveShown, lineFront, liveEditState, type LineRow } from '#shared/db/sql/line.ts';
import { lineCap, linePlace, queuedKey, runningKey, type LinePlace } from '#shared/generation/line-place.ts';
import { sendLiveEdit } from '#shared/queue/send-live.ts';
import { renderProgress } from '#shared/render/progress-message.ts';
import { queuedMessage } from '#shared/render/queued-message.ts';
import { readStorageHealth, type StorageHealthRow } from '#shared/db/sql/storage-health.ts';
import { storageNotice } from '#shared/render/storage-notice.ts';
import type { SchedulerContext } from '../context.ts';

/**
 * Discord lets a message be edited about 5 times per 5 s; one edit per 1.5 s per message stays well
 * inside that and is as fast as a person reads a changing number.
 */
export const liveEditGapMs = 1500;


interface Wanted {
  body: Record<string, unknown>;
  key: string;
  place?: LinePlace;
}

/**
 * What the live message of `g` should show now, or nothing (it ended). A waiting one shows the
 * place line-update computed (`known`, at most a second old), else it is computed here.
 */
async function liveMessageFor(ctx: SchedulerContext, g: GenerationRow, known: LinePlace | undefined): Promise<Wanted | undefined> {
  if (g.deliveredAt) return undefined;
  if (g.status === 'running') return { body: renderProgress(g), key: runningKey(g.progress) };
  if (g.status !== 'queued') return undefined;
  let place = known;
  if (!place) {
    const stmt = lineFront(lineCap, [g.id]);
    place = linePlace((await ctx.db.executeSql<LineRow>(stmt.text, stmt.values)).rows[0]);
  }
  // While image storage fails, intake is held: the waiting member keeps being told why.
  const health = readStorageHealth();
  const notice = storageNotice((await ctx.db.executeSql<StorageHealthRow>(health.text, health.values)).rows[0]?.failingSince);
  return { body: queuedMessage(g, place, notice) as unknown as Record<string, unknown>, key: `${queuedKey(place)}${notice ? ':storage' : ''}`, place };
}

/**
 * Edits the live message if the last edit is far enough back and it would show something new;
 * when too soon, the edit is sent again through the queue for when the gap has passed (and any
 * request meanwhile joins that one job). Returns false when nothing was sent.
 */
export async function editLiveMessage(
  ctx: SchedulerContext,
  g: GenerationRow,
  known: LinePlace | undefined,
  send: (body: Record<string, unknown>) => Promise<boolean>,
): Promise<boolean> {
  const wanted = await liveMessageFor(ctx, g, known);
  if (!wanted) return false;
  const claim = claimLiveEdit(g.id, wanted.key, liveEditGapMs);
  if (((await ctx.db.executeSql(claim.text, claim.values)).rowCount ?? 0) === 0) {
    const state = liveEditState(g.id, liveEditGapMs);
    const [now] = (await ctx.db.executeSql<{ liveShown: string | null; waitMs: number | null }>(state.text, state.values)).rows;
    if (!now || now.liveShown === wanted.key) return false;
    await sendLiveEdit(ctx.boss, g.id, { startAfter: new Date(Date.now() + (now.waitMs ?? 0) + 50), ...(wanted.place ? { place: wanted.place } : {}) });
    return false;
  }
  try {
    const sent = await send(wanted.body);
    if (!sent) await forgetShown(ctx, g.id, wanted.key);
    return sent;
  } catch (err) {
    await forgetShown(ctx, g.id, wanted.key);
    throw err;
  }
}

async function forgetShown(ctx: SchedulerContext, id: string, key: string): Promise<void> {
  const stmt = forgetLiveShown(id, key);
  await ctx.db.executeSql(stmt.text, stmt.values);
}
