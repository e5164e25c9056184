import { z } from 'zod';
import { generationStatuses } from '#shared/db/entities/generation.ts';
import { queryInt, queryList, queryTime, snowflake } from './query-values.ts';
import { text } from './text.ts';

export const listGenerationsQuery = z.strictObject({
  userId: snowflake.optional(),
  guildId: snowflake.optional(),
  status: queryList(generationStatuses).optional().describe(`one or more of ${generationStatuses.join(', ')} (comma-separated or repeated)`),
  /** The checkpoint file name; `model` is the same filter under the name the issue uses. */
  checkpoint: text({ max: 255, min: 1 }).optional(),
  model: text({ max: 255, min: 1 }).optional().describe('checkpoint file name (same as checkpoint)'),
  instanceId: queryInt(1, 2_147_483_647).optional().describe('the instance it was placed on'),
  /** Created at or after (ISO 8601). */
  from: queryTime.optional().describe('created at or after (ISO 8601 with offset)'),
  /** Created before (ISO 8601). */
  to: queryTime.optional().describe('created before (ISO 8601 with offset)'),
  cursor: text({ max: 200, min: 1 }).optional(),
  limit: queryInt(1, 100).default(20),
});

export const generationIdParams = z.object({ id: z.uuid({ error: 'expected a generation id (uuid)' }) });
