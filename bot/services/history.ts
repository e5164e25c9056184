import type { GenerationStatus } from '#shared/db/entities/generation.ts';
import type { GenerationRow } from '#shared/db/repositories/generation-repository.ts';
import { AppError, ErrorCode } from '#shared/errors.ts';
import type { BotContext } from '../context.ts';
import { CustomIdAction, encodeCustomId } from '../custom-id.ts';
import { historyPage, type HistoryPosition } from '../db/history-queries.ts';
import { modelById } from '../db/model-queries.ts';
import { historyMessage, type HistoryEntry } from '../embeds/history-embed.ts';
import { encodeHistoryTarget } from './history-position.ts';

export const historyPageSize = 5;

export interface HistoryRequest {
  userId: string;
  status: GenerationStatus | null;
  model: { id: number; fileName: string } | null;
  from?: HistoryPosition;
}

async function thumbnailOf(g: GenerationRow, ctx: BotContext): Promise<string | null> {
  const output = g.outputs.find((o) => o.status === 'stored' && o.thumbnails?.some((t) => t.size === 256 && t.format === 'webp'));
  return output ? ctx.images.links.url(g.id, output.index, '256.webp') : null;
}

/** Reads one keyset page of the member's history and renders it (see historyMessage). */
export async function renderHistory(req: HistoryRequest, ctx: BotContext): Promise<ReturnType<typeof historyMessage>> {
  const stmt = historyPage({ userId: req.userId, status: req.status, checkpoint: req.model?.fileName ?? null }, historyPageSize, req.from);
  const { rows } = await ctx.db.executeSql<GenerationRow>(stmt.text, stmt.values);
  const more = rows.length > historyPageSize;
  const page = rows.slice(0, historyPageSize);
  const items = req.from?.direction === 'newer' ? page.reverse() : page;
  const hasOlder = req.from?.direction === 'newer' ? true : more;
  const hasNewer = req.from === undefined ? false : req.from.direction === 'older' ? true : more;
  const idFor = (direction: HistoryPosition['direction'], row: GenerationRow) =>
    encodeCustomId(CustomIdAction.History, encodeHistoryTarget({ status: req.status, modelId: req.model?.id ?? null, from: { direction, createdAt: row.createdAt, id: row.id } }));
  const entries: HistoryEntry[] = await Promise.all(items.map(async (g) => ({ generation: g, thumbnailUrl: await thumbnailOf(g, ctx) })));
  return historyMessage({
    entries,
    filters: [req.status, req.model?.fileName].filter(Boolean).join(' · '),
    newerId: hasNewer && items.length ? idFor('newer', items[0]!) : null,
    olderId: hasOlder && items.length ? idFor('older', items.at(-1)!) : null,
  });
}

/** The checkpoint a page button names by id, as its file name (a model removed since ends the paging). */
export async function historyModel(ctx: BotContext, modelId: number | null): Promise<HistoryRequest['model']> {
  if (modelId === null) return null;
  const stmt = modelById(modelId);
  const { rows } = await ctx.db.executeSql<{ id: number; fileName: string }>(stmt.text, stmt.values);
  if (!rows[0]) throw new AppError(ErrorCode.NotFound, 'The model this list was filtered by no longer exists. Run /generations again.', { expose: true, details: { modelId } });
  return rows[0];
}
