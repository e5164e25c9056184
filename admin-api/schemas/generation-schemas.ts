import { z } from 'zod';
import { generationStatuses } from '#shared/db/entities/generation.ts';
import { queryInt, queryList, snowflake } from './query-values.ts';
import { text } from './text.ts';

export const listGenerationsQuery = z.strictObject({
  userId: snowflake.optional(),
  guildId: snowflake.optional(),
  status: queryList(generationStatuses).optional(),
  checkpoint: text({ max: 255, min: 1 }).optional(),
  cursor: text({ max: 200, min: 1 }).optional(),
  limit: queryInt(1, 100).default(20),
});

export const generationIdParams = z.object({ id: z.uuid({ error: 'expected a generation id (uuid)' }) });
