import { z } from 'zod';
import { limitFields, maxLimitValue } from '#shared/limits/policy.ts';
import { snowflake } from './query-values.ts';

const cap = z.number().int().min(0).max(maxLimitValue).nullable().describe('0 = no cap; null or left out = not set here (the wider scope decides)');

/**
 * A scope's whole policy, as `PUT` stores it: each field a cap, `blocked`, or null / left out for
 * "not set here". The same values `/genadmin limits set` accepts.
 */
export const putPolicyBody = z.strictObject({
  ...Object.fromEntries(limitFields.map((f) => [f, cap.optional()])) as Record<(typeof limitFields)[number], z.ZodOptional<typeof cap>>,
  blocked: z.boolean().nullable().optional().describe('nobody in this scope may generate; null or left out = not set here'),
});

export const guildParams = z.object({ guildId: snowflake });
export const roleParams = z.object({ guildId: snowflake, roleId: snowflake });
export const userParams = z.object({ userId: snowflake });
