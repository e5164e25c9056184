import { z } from 'zod';
import { generationStatuses } from '#shared/db/entities/generation.ts';
import { queryInt, queryList, snowflake } from './query-values.ts';

export const listGenerationsQuery = z.strictObject({
  userId: snowflake.optional(),
  guildId: snowflake.optional(),
  status: queryList(generationStatuses).optional(),
  checkpoint: z.string().min(1).max(255).optional(),
  cursor: z.string().min(1).max(200).optional(),
  limit: queryInt(1, 100).default(20),
});

export const generationIdParams = z.object({ id: z.uuid({ error: 'expected a generation id (uuid)' }) });
