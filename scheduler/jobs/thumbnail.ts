import type { GenerationOutput } from '#shared/db/entities/generation.ts';
import { withTransaction } from '#shared/db/pool.ts';
import { GenerationRepository } from '#shared/db/repositories/generation-repository.ts';
import { lockOutputs, saveOutputs } from '#shared/db/sql/outputs.ts';
import { makeThumbnails } from '#shared/images/thumbnails.ts';
import type { JobPayload } from '#shared/queue/contracts.ts';
import { generationPrefix, thumbnailKey } from '#shared/storage/keys.ts';
import { deleteKeys } from '#shared/storage/delete-keys.ts';
import type { JobDefinition } from '../context.ts';

type Update = Pick<GenerationOutput, 'index'> & Partial<GenerationOutput>;

/** WebP thumbnails (256/512/1024) and a JPEG fallback per output; a corrupt image fails only itself. */
export const thumbnailJob: JobDefinition<JobPayload<'thumbnail'>> & { name: 'thumbnail' } = {
  name: 'thumbnail',
  workOptions: () => ({ localConcurrency: 2 }),
  async handle(ctx, { generationId, outputIndex }, { logger }) {
    const g = await new GenerationRepository(ctx.db).find(generationId);
    if (!g) {
      logger.info('generation erased; no thumbnails to make');
      return;
    }
    const prefix = generationPrefix(g.userId, g.createdAt, g.id);
    const todo = g.outputs.filter((o) => o.status === 'stored' && o.path && !o.thumbnails && (outputIndex === undefined || o.index === outputIndex));
    const updates: Update[] = [];
    for (const output of todo) {
      try {
        const thumbs = await makeThumbnails(await ctx.storage.get(output.path!));
        const stored = await Promise.all(
          thumbs.map(async (t) => {
            const put = await ctx.storage.put(thumbnailKey(prefix, output.index, t.size, t.format), t.data);
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
    const applied = await withTransaction(ctx.pool, async (db) => {
      const locked = await db.executeSql<{ outputs: GenerationOutput[] }>(lockOutputs(g.id).text, lockOutputs(g.id).values);
      // Only onto outputs still stored: retention or an erasure may have removed one meanwhile.
      const stillStored = new Set((locked.rows[0]?.outputs ?? []).filter((o) => o.status === 'stored').map((o) => o.index));
      const merged = (locked.rows[0]?.outputs ?? []).map((o) => (stillStored.has(o.index) ? { ...o, ...updates.find((u) => u.index === o.index) } : o));
      const save = saveOutputs(g.id, merged);
      await db.executeSql(save.text, save.values);
      return stillStored;
    });
    await deleteKeys(ctx.storage, updates.filter((u) => !applied.has(u.index)).flatMap((u) => (u.thumbnails ?? []).map((t) => t.path)));
  },
};
