import { z } from 'zod';
import { queryTime } from './query-values.ts';

export const statsQuery = z.strictObject({
  /** Generations created at or after this time (ISO 8601); default the last 24 hours. */
  since: queryTime.optional().describe('generations created at or after this time (ISO 8601 with offset); default the last 24 hours'),
});
