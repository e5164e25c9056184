import type { GenerationRow } from '#shared/db/repositories/generation-repository.ts';
import { claimLiveEdit, claimLiveEdits, forgetLiveShown, lineFront, type LineRow, type LiveEditClaim } from '#shared/db/sql/line.ts';
import { lineCap, linePlace, queuedKey, runningKey, type LinePlace } from '#shared/generation/line-place.ts';
import { sendLiveEdit } from '#shared/queue/send-live.ts';
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

interface Wanted {
  body: Record<string, unknown>;
  key: string;
}

/**
 * What the live message of `g` should show now, or nothing (it ended). A waiting one shows the
 * place line-update computed (`known` from an older job's payload, else the one stored on the row),
 * else it is computed here.
 */
async function liveMessageFor(ctx: SchedulerContext, g: LiveRow, known: LinePlace | undefined): Promise<Wanted | undefined> {
  if (g.deliveredAt) return undefined;
  if (g.status === 'running') return { body: renderProgress(g), key: runningKey(g.progress) };
  if (g.status !== 'queued') return undefined;
  let place = known ?? g.linePlace ?? undefined;
  if (!place) {
    const stmt = lineFront(lineCap, [g.id]);
    place = linePlace((await ctx.db.executeSql<LineRow>(stmt.text, stmt.values)).rows[0]);
  }
  // While image storage fails, intake is held: the waiting member keeps being told why.
  const notice = storageNotice(g.storageFailingSince);
  return { body: queuedMessage(g, place, notice) as unknown as Record<string, unknown>, key: `${queuedKey(place)}${notice ? ':storage' : ''}` };
}

/** A live edit decided and claimed ahead (planLiveEdits): what to show and the claim's answer (none: the generation is gone). */
export interface PlannedLiveEdit {
  wanted: Wanted;
  claim: LiveEditClaim | undefined;
}

/**
 * The live edits of a fetched batch, decided as editLiveMessage decides them and claimed in one
 * statement instead of one each; null: nothing to show. A generation asked for twice is left out
 * (each of its edits claims on its own).
 */
export async function planLiveEdits(
  ctx: SchedulerContext,
  edits: { g: LiveRow; known: LinePlace | undefined }[],
): Promise<Map<string, PlannedLiveEdit | null>> {
  const times = new Map<string, number>();
  for (const { g } of edits) times.set(g.id, (times.get(g.id) ?? 0) + 1);
  const decided = await Promise.all(
    edits.filter(({ g }) => times.get(g.id) === 1).map(async ({ g, known }) => ({ id: g.id, wanted: await liveMessageFor(ctx, g, known) })),
  );
  const plans = new Map<string, PlannedLiveEdit | null>(decided.filter((d) => !d.wanted).map((d) => [d.id, null]));
  const toClaim = decided.flatMap((d) => (d.wanted ? [{ id: d.id, wanted: d.wanted }] : []));
  if (toClaim.length === 0) return plans;
  const stmt = claimLiveEdits(toClaim.map((d) => ({ id: d.id, shown: d.wanted.key })), liveEditGapMs);
  // A busy row comes back unclaimed with its wait: editLiveMessage sends its edit again for then.
  const claims = new Map((await ctx.db.executeSql<LiveEditClaim & { id: string }>(stmt.text, stmt.values)).rows.map((r) => [r.id, r]));
  for (const d of toClaim) plans.set(d.id, { wanted: d.wanted, claim: claims.get(d.id) });
  return plans;
}

/**
 * Edits the live message if the last edit is far enough back and it would show something new;
 * when too soon, the edit is sent again through the queue for when the gap has passed (and any
 * request meanwhile joins that one job). Returns false when nothing was sent. `planned`: decided
 * and claimed already (planLiveEdits).
 */
export async function editLiveMessage(
  ctx: SchedulerContext,
  g: LiveRow,
  known: LinePlace | undefined,
  send: (body: Record<string, unknown>) => Promise<boolean>,
  planned?: PlannedLiveEdit | null,
): Promise<boolean> {
  if (planned === null) return false;
  const wanted = planned ? planned.wanted : await liveMessageFor(ctx, g, known);
  if (!wanted) return false;
  const now = planned ? planned.claim : await claimAlone(ctx, g.id, wanted.key);
  if (!now?.claimed) {
    if (!now || (!now.busy && now.liveShown === wanted.key)) return false;
    await sendLiveEdit(ctx.boss, g.id, { startAfter: new Date(Date.now() + now.waitMs + 50) });
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

async function claimAlone(ctx: SchedulerContext, id: string, key: string): Promise<LiveEditClaim | undefined> {
  const claim = claimLiveEdit(id, key, liveEditGapMs);
  return (await ctx.db.executeSql<LiveEditClaim>(claim.text, claim.values)).rows[0];
}

async function forgetShown(ctx: SchedulerContext, id: string, key: string): Promise<void> {
  const stmt = forgetLiveShown(id, key);
  await ctx.db.executeSql(stmt.text, stmt.values);
}
