import type { PgBoss } from 'pg-boss';
import type { Db } from '#shared/db/pool.ts';
import type { LinePlace } from '#shared/generation/line-place.ts';
import { parsePayload } from './contracts.ts';
import { jobCtes, jobUpsertByKeyInsertSql, type EmbeddableJobInsert } from './job-insert-sql.ts';

/**
 * Asks for the live message of a generation ("#N in line" with its ETA while it waits, the progress
 * bar while it runs) to be brought up to date. At most one such job waits per generation: a second
 * request while one waits changes nothing (that job renders whatever is true when it runs, so the
 * last state wins). It rides in the generation's delivery group, so it never overlaps (or, once
 * delivered, overwrites) the final result; the deliver job spaces the edits of one message.
 * `place`: a waiting generation's place just computed by line-update.
 *
 * One statement: pg-boss's own insert of an upsert-by-key job, whose unique index (one waiting job
 * per key) skips it when one waits; pg-boss's upsert() took BEGIN, update, insert, COMMIT.
 */
export async function sendLiveEdit(boss: PgBoss, generationId: string, opts: { place?: LinePlace; startAfter?: Date; db?: Db } = {}): Promise<void> {
  const data = parsePayload('deliver', { generationId, kind: 'live', ...(opts.place ? { place: opts.place } : {}) });
  const options = { singletonKey: `live:${generationId}`, group: { id: generationId }, ...(opts.startAfter ? { startAfter: opts.startAfter } : {}) };
  const insert = await jobUpsertByKeyInsertSql(boss, 'deliver');
  if (!insert) {
    await boss.upsert('deliver', data, { ...options, ...(opts.db ? { db: opts.db as never } : {}) });
    return;
  }
  const job = { data, singletonKey: options.singletonKey, groupId: generationId, ...(opts.startAfter ? { startAfter: opts.startAfter.toISOString() } : {}) };
  const db = opts.db ?? (boss.getDb() as Db);
  await db.executeSql(liveEditStatement(insert), [JSON.stringify([job])]);
}

const liveEditStatements = new Map<string, string>();

function liveEditStatement(insert: EmbeddableJobInsert): string {
  let text = liveEditStatements.get(insert.insert);
  if (!text) {
    const { ctes, columns } = jobCtes(insert, 'deliver');
    text = `with ${ctes} select ${columns}`;
    liveEditStatements.set(insert.insert, text);
  }
  return text;
}

/**
 * Live edits of many waiting generations in one insert (line-update), each starting once its
 * message may be edited again (`waitMs` from now). Unlike sendLiveEdit it does not deduplicate:
 * pass only generations with no live edit waiting (see saveLinePlaces). The edit shows the place
 * stored on the row.
 */
export async function sendLiveEdits(boss: PgBoss, edits: { id: string; waitMs: number }[]): Promise<void> {
  if (edits.length === 0) return;
  await boss.insert(
    'deliver',
    edits.map(({ id, waitMs }) => ({
      data: parsePayload('deliver', { generationId: id, kind: 'live' }),
      singletonKey: `live:${id}`,
      group: { id },
      // Relative (a Postgres interval): counted on the database's clock, like the gap itself.
      ...(waitMs > 0 ? { startAfter: `${Math.ceil(waitMs) + 50} milliseconds` } : {}),
    })),
  );
}

const lineDebounceSeconds = 1;

// Per producer (pg-boss instance): when the last announcement was sent, and the one due after it.
const announcing = new WeakMap<PgBoss, { lastAt: number; due?: NodeJS.Timeout }>();

/**
 * The line moved (a request started, ended, was cancelled, or one arrived that may be served
 * before others): recompute the places shown in the waiting messages. Debounced by pg-boss to one
 * `line-update` job per second whatever the rate of moves, with one more after a busy second so
 * the last move is always shown.
 *
 * Coalesced in the process first, the same way (each pg-boss debounce costs one or two inserts, and
 * every start and end of a generation moves the line): the first move in a second is announced at
 * once, the later ones by one announcement at the end of that second. Best effort like the rest:
 * a lost announcement is repaired by the next move.
 */
export function announceLineMoved(boss: PgBoss): Promise<void> {
  let state = announcing.get(boss);
  if (!state) announcing.set(boss, (state = { lastAt: -Infinity }));
  if (state.due) return Promise.resolve();
  const wait = state.lastAt + lineDebounceSeconds * 1000 - Date.now();
  if (wait <= 0) {
    state.lastAt = Date.now();
    return sendLineUpdate(boss);
  }
  const s = state;
  s.due = setTimeout(() => {
    s.due = undefined;
    s.lastAt = Date.now();
    void sendLineUpdate(boss).catch(() => undefined);
  }, wait);
  s.due.unref();
  return Promise.resolve();
}

async function sendLineUpdate(boss: PgBoss): Promise<void> {
  await boss.sendDebounced('line-update', lineUpdatePayload, null, lineDebounceSeconds, 'line');
}

const lineUpdatePayload = parsePayload('line-update', {});
