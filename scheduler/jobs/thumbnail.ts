import type { GenerationOutput } from '#shared/db/entities/generation.ts';
import { GenerationRepository, type GenerationRow } from '#shared/db/repositories/generation-repository.ts';
import { mergeOutputs } from '#shared/db/sql/outputs.ts';
import { makeThumbnails } from '#shared/images/thumbnails.ts';
import type { JobPayload } from '#shared/queue/contracts.ts';
import { sendJobs } from '#shared/queue/send.ts';
import { generationPrefix, thumbnailKey } from '#shared/storage/keys.ts';
import { deleteKeys } from '#shared/storage/delete-keys.ts';
import type { JobDefinition, JobHelpers, SchedulerContext } from '../context.ts';

type Update = Pick<GenerationOutput, 'index'> & Partial<GenerationOutput>;
type Payload = JobPayload<'thumbnail'>;

/** The thumbnails a fetched batch made, merged into their generations in one statement at its end. */
export interface ThumbnailBatch {
  merges: { generationId: string; updates: Update[] }[];
}

/** WebP thumbnails (256/512/1024) and a JPEG fallback per output; a corrupt image fails only itself. */
export const thumbnailJob: JobDefinition<Payload, ThumbnailBatch> & { name: 'thumbnail' } = {
  name: 'thumbnail',
  // The queue sends no NOTIFY: the delivery batch that enqueued the thumbnails wakes a worker of its
  // process (SchedulerContext.wakeThumbnailWorker), and the poll is the safety net. What a busy
  // second ended is fetched and completed in batches; sharp works in its own threads.
  workOptions: () => ({ localConcurrency: 2, batchSize: 8, pollingIntervalSeconds: 2, notifyPollingIntervalSeconds: 2 }),
  batch: {
    start: () => Promise.resolve({ merges: [] }),
    end: (ctx, { merges }) => merge(ctx, merges),
  },
  async handle(ctx, payload, { logger, batch }) {
    const todo = await outputsToDo(ctx, payload, logger);
    if (!todo) return;
    const updates: Update[] = [];
    for (const output of todo.outputs) {
      try {
        const thumbs = await makeThumbnails(await ctx.storage.get(output.path));
        const stored = await Promise.all(
          thumbs.map(async (t) => {
            const put = await ctx.storage.put(thumbnailKey(todo.prefix, output.index, t.size, t.format), t.data);
            return { size: t.size, format: t.format, path: put.key, bytes: put.bytes, sha256: put.sha256 };
          }),
        );
        updates.push({ index: output.index, thumbnails: stored });
      } catch (err) {
        logger.warn({ err, outputIndex: output.index }, 'output image is unreadable; marked failed');
        updates.push({ index: output.index, status: 'failed', error: `image could not be decoded: ${(err as Error).message}` });
      }
    }
    if (updates.length === 0) return;
    const made = { generationId: payload.generationId, updates };
    if (batch) batch.merges.push(made);
    else await merge(ctx, [made]);
  },
};

/**
 * One statement for every generation, onto outputs still stored only: retention or an erasure may
 * have removed one meanwhile, or the whole generation (no row): the thumbnails made for those are
 * deleted again.
 */
async function merge(ctx: SchedulerContext, made: ThumbnailBatch['merges']): Promise<void> {
  if (made.length === 0) return;
  // Two jobs of one generation in a batch (a single output redone, or the same thumbnails enqueued
  // twice by a retried delivery): one entry with one change per output, the last one made.
  const byGeneration = new Map<string, Map<number, Update>>();
  for (const m of made) {
    const outputs = byGeneration.get(m.generationId) ?? new Map<number, Update>();
    for (const u of m.updates) outputs.set(u.index, u);
    byGeneration.set(m.generationId, outputs);
  }
  const stmt = mergeOutputs([...byGeneration].map(([generationId, updates]) => ({ generationId, updates: [...updates.values()] })));
  const rows = (await ctx.db.executeSql<{ generationId: string; stored: number[] }>(stmt.text, stmt.values)).rows;
  const applied = new Map(rows.map((r) => [r.generationId, new Set(r.stored)]));
  const orphaned = made.flatMap(({ generationId, updates }) => updates.filter((u) => !applied.get(generationId)?.has(u.index)));
  await deleteKeys(ctx.storage, [...new Set(orphaned.flatMap((u) => (u.thumbnails ?? []).map((t) => t.path)))]);
}

/**
 * Enqueues, in one insert, the thumbnails still missing for these succeeded generations, each job
 * carrying its outputs and where their files go so that it reads nothing. The result delivery
 * sends them (see the deliver job), not the success itself: one insert per delivery batch instead
 * of one per success. Enqueued again (a delivery retried before they were merged), they are made
 * again and merged again: the same files, the same outputs.
 */
export async function sendThumbnails(ctx: Pick<SchedulerContext, 'boss' | 'wakeThumbnailWorker'>, gs: GenerationRow[]): Promise<void> {
  const jobs = gs.flatMap((g) => {
    const outputs = g.outputs.filter((o) => o.status === 'stored' && o.path && !o.thumbnails).map((o) => ({ index: o.index, path: o.path! }));
    return outputs.length > 0 ? [{ generationId: g.id, prefix: generationPrefix(g.userId, g.createdAt, g.id), outputs }] : [];
  });
  if (jobs.length === 0) return;
  await sendJobs(ctx.boss, 'thumbnail', jobs);
  ctx.wakeThumbnailWorker?.();
}

/** What to make: from the payload (sent with a result delivery), else (older jobs, one output redone) from the row. */
async function outputsToDo(
  ctx: SchedulerContext, { generationId, outputIndex, prefix, outputs }: Payload, logger: JobHelpers['logger'],
): Promise<{ prefix: string; outputs: { index: number; path: string }[] } | undefined> {
  const wanted = (index: number) => outputIndex === undefined || index === outputIndex;
  if (prefix && outputs) return { prefix, outputs: outputs.filter((o) => wanted(o.index)) };
  const g = await new GenerationRepository(ctx.db).find(generationId);
  if (!g) {
    logger.info('generation erased; no thumbnails to make');
    return undefined;
  }
  const todo = g.outputs.filter((o) => o.status === 'stored' && o.path && !o.thumbnails && wanted(o.index));
  return { prefix: generationPrefix(g.userId, g.createdAt, g.id), outputs: todo.map((o) => ({ index: o.index, path: o.path! })) };
}
