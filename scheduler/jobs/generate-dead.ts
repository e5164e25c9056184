import type { JobPayload } from '#shared/queue/contracts.ts';
import type { JobDefinition } from '../context.ts';
import { failWith, settle } from '../settle.ts';

/** A generate job that used up its retries: the request ends failed, with a reason, and the user is told. */
export const generateDeadJob: JobDefinition<JobPayload<'generate-dead'>> & { name: 'generate-dead' } = {
  name: 'generate-dead',
  async handle(ctx, { generationId }, { logger }) {
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
