import { placedByActiveJob } from '#shared/db/sql/slots.ts';
import type { JobPayload } from '#shared/queue/contracts.ts';
import type { JobDefinition } from '../context.ts';
import { failWith, settle } from '../settle.ts';

/** A generate job that used up its retries: the request ends failed, with a reason, and the user is told. */
export const generateDeadJob: JobDefinition<JobPayload<'generate-dead'>> & { name: 'generate-dead' } = {
  name: 'generate-dead',
  async handle(ctx, { generationId }, { logger }) {
    // Jobs run each other's generations: a live job may have started this one meanwhile; let it finish.
    const live = placedByActiveJob(generationId);
    if ((await ctx.db.executeSql<{ placed: boolean }>(live.text, live.values)).rows[0]?.placed) {
      logger.info('generate job ran out of retries, but another job is running its generation');
      return;
    }
    const row = await settle(
      ctx.pool,
      ctx.boss,
      generationId,
      'failed',
      failWith('retries_exhausted', 'The image servers could not finish this request after several tries. Please try again in a few minutes.'),
    );
    if (row) logger.warn('generation failed after its retries ran out');
  },
};
