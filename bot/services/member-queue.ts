import type { Db } from '#shared/db/pool.ts';
import type { GenerationRow } from '#shared/db/repositories/generation-repository.ts';
import { lineFront, type LineRow } from '#shared/db/sql/line.ts';
import { lineCap, linePlace } from '#shared/generation/line-place.ts';
import { activeOfUser } from '../db/queue-queries.ts';
import type { QueueItem } from '../embeds/queue-embed.ts';

/** A member's waiting and running requests with their places (the same bounded computation the live messages use) and ETAs. */
export async function memberQueue(db: Db, userId: string): Promise<QueueItem[]> {
  const mine = activeOfUser(userId);
  const rows = (await db.executeSql<GenerationRow & { instanceSecondsPerStep: number | null }>(mine.text, mine.values)).rows;
  const waiting = rows.filter((g) => g.status === 'queued').map((g) => g.id);
  const places = new Map<string, LineRow>();
  if (waiting.length) {
    const front = lineFront(lineCap, waiting);
    for (const row of (await db.executeSql<LineRow>(front.text, front.values)).rows) places.set(row.id, row);
  }
  return rows.map((g): QueueItem => {
    if (g.status === 'queued') return { generation: g, state: 'queued', place: linePlace(places.get(g.id)) };
    if (g.status === 'running') {
      const sps = g.instanceSecondsPerStep;
      return { generation: g, state: 'running', etaSeconds: sps === null ? null : (1 - g.progress) * g.steps * sps };
    }
    return { generation: g, state: 'cancelling' };
  });
}
